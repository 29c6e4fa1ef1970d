/**
 * Key transparency with several key-server instances on ONE PostgreSQL
 * database, in this process over real HTTP (kt-multi-instance.test.ts does
 * it with processes and SIGKILL): exactly one instance sequences; accounts
 * created on any instance are searchable and verify on every instance
 * against a 2-of-3 witnessed checkpoint (@sealpost/devkit/witnesses); a
 * leader whose lock connection is terminated stops sequencing at once and
 * another takes over; and the append itself refuses a second sequencer
 * (stale position, pending rows already logged, a pid without the lock).
 * Runs in the services-postgres project only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel, decodeHandleValue, decodeIdentityValue, handleLabel, vrfPublicKey } from '@sealpost/keytrans';
import { createTestDatabase, type TestDatabase } from '@sealpost/devkit/postgres';
import { startWitnesses, type RunningWitnesses } from '@sealpost/devkit/witnesses';
import { randomBytes } from '@sealpost/protocol/primitives';
import { buildKeyServer, PostgresKeyStore } from '../src/index.ts';
import type { KtLog } from '../src/kt/kt-log.ts';
import { KT_LOCK_CLASS, KT_LOCK_ID, PgKtStore } from '../src/kt/pg-kt-store.ts';
import { KtAppendConflict, type KtBatch } from '../src/kt/kt-store.ts';
import { ktSettings, logVkey, search, verifyAnswer } from './kt-support.ts';
import { call, createAccount, type RunningServer } from './support.ts';
import { postgresSql, testBackend } from './test-stores.ts';

interface Instance extends RunningServer {
  kt: KtLog;
}

const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<number> => {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
};

describe.runIf(testBackend() === 'postgres')('key transparency on several instances of one PostgreSQL database (in process)', () => {
  let database: TestDatabase | undefined;
  let witnesses: RunningWitnesses | undefined;
  const running: Instance[] = [];
  afterEach(async () => {
    for (const i of running.splice(0)) await i.close();
    await witnesses?.close();
    witnesses = undefined;
    await database?.drop();
    database = undefined;
  });

  async function cluster(n: number, extra: Parameters<typeof ktSettings>[0] = {}) {
    database = await createTestDatabase('ks_kt');
    const kt = ktSettings({ leaderRetryMs: 100, ...extra });
    witnesses = await startWitnesses(3, { logs: [logVkey(kt)] });
    const keyTransparency = { ...kt, witnesses: witnesses.urls.map((url, i) => ({ url, vkey: witnesses!.vkeys[i]! })), witnessQuorum: 2 };
    for (let i = 0; i < n; i++) {
      const store = await PostgresKeyStore.open({ url: database.url });
      const app = await buildKeyServer({ store, closeStore: true, docs: false, keyTransparency, settings: { registrationRateLimit: false } });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      running.push({ app, store, sql: undefined as never, url, close: () => app.close(), kt: app.keyserver.keyTransparency! });
    }
    const check = { policy: witnesses.policyText, origin: kt.origin, vrfPublicKey: vrfPublicKey(kt.vrfSecretKey) };
    return { kt, check, instances: [...running] };
  }

  it('one instance sequences; accounts created on each are searchable and verify on every instance', async () => {
    const { check, instances } = await cluster(3);
    await until('a leader', () => instances.some((i) => i.kt.leading));
    expect(instances.filter((i) => i.kt.leading)).toHaveLength(1);
    const accounts = await Promise.all(instances.flatMap((i) => [createAccount(i), createAccount(i)]));
    for (const who of accounts) {
      const label = accountLabel(who.accountId);
      for (const instance of instances) {
        // Creation answered once the leader's witnessed checkpoint covers it; a follower may need its notice.
        await until('the follower to see the witnessed checkpoint', async () => (await search(instance, label)).status === 200);
        const { search: found, cosigners, checkpoint } = verifyAnswer((await search(instance, label)).body, { ...check, label });
        expect(found.version).toBe(0);
        expect(decodeIdentityValue(found.value)).toEqual(who.identity.publicKey);
        expect(cosigners).toBeGreaterThanOrEqual(2);
        expect(checkpoint.size).toBeGreaterThan(0);
      }
    }
    // Every instance followed to the same log.
    await until('every index at the same size', () => new Set(instances.map((i) => i.kt.size)).size === 1);
    const sql = postgresSql(database!.url);
    try {
      expect(await sql.count('SELECT count(*) FROM kt_pending')).toBe(0);
      expect(await sql.count('SELECT count(*) FROM kt_versions')).toBe(accounts.length);
      expect(await sql.count('SELECT count(*) FROM kt_entries')).toBe(instances[0]!.kt.size);
    } finally {
      await sql.end();
    }
    expect(instances.filter((i) => i.kt.leading)).toHaveLength(1);
  });

  it('handles over two instances: concurrent claims of one handle give one owner; the claim verifies on the other instance', async () => {
    const { check, instances } = await cluster(2);
    await until('a leader', () => instances.some((i) => i.kt.leading));
    const follower = instances.find((i) => !i.kt.leading)!;
    const leader = instances.find((i) => i.kt.leading)!;
    const [bob, eve] = await Promise.all([createAccount(follower), createAccount(leader)]);
    const claims = await Promise.all([
      call(follower, 'PUT', '/v1/accounts/me/handle', { auth: bob!.auth, body: { handle: 'bob' } }),
      call(leader, 'PUT', '/v1/accounts/me/handle', { auth: eve!.auth, body: { handle: 'BOB' } }),
    ]);
    expect(claims.map((c) => c.status).sort()).toEqual([204, 409]);
    expect(claims.find((c) => c.status === 409)!.body.error.code).toBe('HANDLE_TAKEN');
    const owner = claims[0]!.status === 204 ? bob! : eve!;
    for (const instance of instances) {
      expect((await call(instance, 'GET', '/v1/handles/bob')).body).toEqual({ handle: 'bob', accountId: owner.accountId });
      const label = handleLabel('bob');
      await until('the handle search to answer', async () => (await search(instance, label)).status === 200);
      expect(decodeHandleValue(verifyAnswer((await search(instance, label)).body, { ...check, label }).search.value)).toBe(owner.accountId);
    }
  });

  it('a leader whose lock connection is terminated stops sequencing at once; another takes over and nothing is lost', async () => {
    const { check, instances } = await cluster(2);
    await until('a leader', () => instances.some((i) => i.kt.leading));
    const leader = instances.find((i) => i.kt.leading)!;
    const other = instances.find((i) => i !== leader)!;
    const before = await createAccount(other);
    const sql = postgresSql(database!.url);
    try {
      // pg_locks is server-wide: this database's sequencer lock only.
      const holders = (await sql.rows(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND objid = ? AND objsubid = 2 AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [KT_LOCK_CLASS, KT_LOCK_ID],
      )) as { pid: number }[];
      expect(holders).toHaveLength(1);
      const [{ pid }] = holders as [{ pid: number }];
      await sql.rows('SELECT pg_terminate_backend(?)', [pid]);
      const stopped = await until('the old leader to stop', () => !leader.kt.leading, 2000);
      expect(stopped).toBeLessThan(1000);
      const tookOver = await until('the other instance to lead', () => other.kt.leading, 5000);
      expect(tookOver).toBeLessThan(3000);
      // Both keep creating accounts; the new leader sequences them; the old one follows.
      const after = await Promise.all([createAccount(leader), createAccount(other)]);
      for (const who of [before, ...after]) {
        const label = accountLabel(who.accountId);
        for (const instance of instances) {
          await until('the search to answer', async () => (await search(instance, label)).status === 200);
          expect(decodeIdentityValue(verifyAnswer((await search(instance, label)).body, { ...check, label }).search.value)).toEqual(who.identity.publicKey);
        }
      }
      expect(await sql.count('SELECT count(*) FROM kt_pending')).toBe(0);
      expect(instances.filter((i) => i.kt.leading)).toHaveLength(1);
    } finally {
      await sql.end();
    }
  });

  it('the append refuses a second sequencer: a taken position, a pending row already logged, a pid without the lock', async () => {
    database = await createTestDatabase('ks_kt');
    const store = await PostgresKeyStore.open({ url: database.url });
    try {
      const kt = new PgKtStore(store.pool);
      const [a, b] = await kt.enqueue([{ label: randomBytes(17), value: randomBytes(34) }, { label: randomBytes(17), value: randomBytes(34) }], 1);
      const batch = (position: number, pendingIds: number[], label = randomBytes(17)): KtBatch => ({
        entry: { position, timestampMs: 1000 + position, prefixRoot: randomBytes(32) },
        versions: [{ label, version: 0, position, opening: randomBytes(16), value: randomBytes(34), vrfProof: randomBytes(80), searchKey: randomBytes(32), commitment: randomBytes(32) }],
        pendingIds,
        usedVrfNext: [],
        checkpointNote: `note ${position}`,
      });
      await kt.appendBatch(batch(0, [a!]));
      // A stale leader still at size 0, and one that skips ahead: neither writes anything.
      await expect(kt.appendBatch(batch(0, [b!]))).rejects.toThrow(KtAppendConflict);
      await expect(kt.appendBatch(batch(2, [b!]))).rejects.toThrow(KtAppendConflict);
      // The next position, but with a pending row the first batch already logged.
      await expect(kt.appendBatch(batch(1, [a!, b!]))).rejects.toThrow(/already sequenced/);
      // A fence naming a backend that does not hold the sequencer lock.
      kt.leaderPid = 1;
      await expect(kt.appendBatch(batch(1, [b!]))).rejects.toThrow(/no longer holds the sequencer lock/);
      kt.leaderPid = undefined;
      expect((await kt.entries()).map((e) => e.position)).toEqual([0]);
      expect(await kt.pendingPresent([a!, b!])).toEqual([b!]);
      expect((await kt.checkpoints(10)).map((c) => c.size)).toEqual([1]);
      expect(await kt.versionsFrom(0)).toHaveLength(1);
      await kt.appendBatch(batch(1, [b!]));
      expect((await kt.entries()).map((e) => e.position)).toEqual([0, 1]);
    } finally {
      await store.close();
    }
  });
});
