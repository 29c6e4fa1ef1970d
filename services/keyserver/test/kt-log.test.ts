/**
 * `KtLog` standalone over this run's store (SQLite, or PostgreSQL in the
 * services-postgres project: PgKtStore with its sequencer lock), no HTTP, with a fake clock:
 * batching (many updates → one entry), heartbeat entries, a restart that
 * rebuilds the same log and proofs from the database, pending rows left by
 * a crash, later versions (the "evil server" appending a fake key), the
 * worker-thread VRF prover, and the witness rounds against real witnesses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel, encodeIdentityValue, verifyConsistency, verifySearchProof, vrfPublicKey, type Checkpoint, parseCheckpoint, parseNote, vrfInput, vrfProve } from '@sealpost/keytrans';
import { fromBase64, randomBytes } from '@sealpost/protocol/primitives';
import { KtLog, type KtLogSettings } from '../src/kt/kt-log.ts';
import { searchLabel } from '../src/kt/kt-search.ts';
import { WorkerVrfProver } from '../src/kt/vrf-prover.ts';
import { type RunningWitness, ktSettings, logVkey, policyText, startWitnesses, verifyAnswer } from './kt-support.ts';
import { newIdentity } from './support.ts';
import { ktStoreOf, openTestStore, type TestSql, type TestStore } from './test-stores.ts';

const uuid = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const update = (i: number) => ({ label: accountLabel(uuid(i)), value: encodeIdentityValue(newIdentity().publicKey) });

describe('KtLog (sequencer over the key store\'s database, fake clock)', () => {
  const open: { close(): Promise<void> }[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  let clock = 1_800_000_000_000;
  const now = () => clock;

  /** A KtLog on a new test store (SQLite: `path`, default ':memory:'; PostgreSQL: a new database), or on `data`'s database again. */
  async function openLog(settings: KtLogSettings, path?: string, data?: TestStore): Promise<{ log: KtLog; sql: TestSql; data: TestStore }> {
    let t = data;
    if (t === undefined) {
      t = await openTestStore(undefined, path === undefined ? {} : { path });
      open.push(t);
    }
    const log = await KtLog.open({ ...settings, ...ktStoreOf(t.store), now });
    open.push(log);
    return { log, sql: t.sql, data: t };
  }

  /** The same database through a second store (as after a process restart). */
  async function reopened(t: TestStore): Promise<TestStore> {
    const again = await t.reopen();
    const view: TestStore = { ...t, store: again.store, sql: again.sql, close: () => again.store.close() };
    open.push(view);
    return view;
  }

  function checkpointOf(log: KtLog): Checkpoint {
    return parseCheckpoint(parseNote(log.checkpointNote(log.size)!).text);
  }

  async function proveLabel(log: KtLog, settings: KtLogSettings, label: Uint8Array) {
    const answer = await searchLabel(log, label, undefined);
    const checkpoint = parseCheckpoint(parseNote(answer.checkpoint).text);
    return verifySearchProof({ checkpoint, vrfPublicKey: vrfPublicKey(settings.vrfSecretKey), label, proof: fromBase64(answer.proof), now: clock });
  }

  it('a failing database read on the background timer is logged, never an unhandled rejection (the process stays up)', async () => {
    const t = await openTestStore();
    open.push(t);
    const { store } = ktStoreOf(t.store);
    let fail = false;
    const failing = new Proxy(store, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver) as unknown;
        if (key === 'pending' && typeof v === 'function') return (...args: unknown[]) => (fail ? Promise.reject(new Error('database unreachable')) : (v as (...a: unknown[]) => unknown).apply(target, args));
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const errors: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const log = await KtLog.open({ ...ktSettings({ heartbeatMs: 40 }), store: failing, now: () => clock, log: { error: (_o: unknown, msg: string) => errors.push(msg), warn: () => {} } as never });
      open.push(log);
      fail = true;
      await new Promise((r) => setTimeout(r, 150));
      expect(errors.some((m) => m === 'key transparency: tick failed')).toBe(true);
      expect(unhandled).toEqual([]);
      fail = false;
      await log.enqueue([update(900)]);
      expect(log.size).toBeGreaterThan(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('batches the updates queued within batchMs into one log entry', async () => {
    const s = ktSettings({ batchMs: 150 });
    const { log, sql } = await openLog(s);
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => log.enqueue([update(i)])));
    expect(results.every((r) => r.sequenced && r.witnessed)).toBe(true);
    expect(log.size).toBe(1);
    expect(new Set(results.map((r) => r.position))).toEqual(new Set([0]));
    expect(await sql.count('SELECT COUNT(*) FROM kt_versions')).toBe(25);
    expect(await sql.count('SELECT COUNT(*) FROM kt_pending')).toBe(0);
    for (const i of [0, 12, 24]) expect((await proveLabel(log, s, accountLabel(uuid(i)))).version).toBe(0);
  });

  it('writes an empty heartbeat entry (same prefix root, new timestamp) once heartbeatMs passed without one', async () => {
    const s = ktSettings({ heartbeatMs: 600_000 });
    const { log } = await openLog(s);
    await log.enqueue([update(1)]);
    const first = log.index.entries[0]!;
    clock += 599_999;
    await log.tick();
    expect(log.size).toBe(1);
    clock += 1;
    await log.tick();
    expect(log.size).toBe(2);
    expect(log.index.entries[1]!.prefixRoot).toEqual(first.prefixRoot);
    expect(log.index.entries[1]!.timestamp).toBe(clock);
    // A search proves against the newest entry, so it stays fresh for a client's max_behind window.
    expect((await proveLabel(log, s, accountLabel(uuid(1)))).timestamp).toBe(clock);
  });

  it('a restart rebuilds the same log, checkpoints and proofs from the database; queued rows left behind are sequenced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-log-'));
    dirs.push(dir);
    const path = join(dir, 'keys.db');
    const s = ktSettings();
    const first = await openLog(s, path);
    for (let i = 0; i < 4; i++) await first.log.enqueue([update(2 * i), update(2 * i + 1)]);
    const before = checkpointOf(first.log);
    const proofBefore = await searchLabel(first.log, accountLabel(uuid(3)), undefined);
    // A row queued (as account creation does, in its transaction) but never sequenced before the "crash".
    await first.sql.run('INSERT INTO kt_pending (label, value, enqueued_ms) VALUES (?, ?, ?)', [update(99).label, update(99).value, clock]);
    await first.log.close();

    const again = await openLog(s, undefined, await reopened(first.data));
    const settled = await again.log.settled(accountLabel(uuid(99)));
    expect(settled.sequenced).toBe(true);
    expect(again.log.size).toBe(before.size + 1);
    const [{ note: stored }] = (await again.sql.rows('SELECT note FROM kt_checkpoints WHERE size = ?', [before.size])) as [{ note: string }];
    expect(parseCheckpoint(parseNote(stored).text)).toEqual(before);
    const proofAfter = await searchLabel(again.log, accountLabel(uuid(3)), before.size);
    const after = checkpointOf(again.log);
    verifyConsistency(before.size, after.size, proofAfter.consistency[0]!.proof.map((h) => fromBase64(h)), before.rootHash, after.rootHash);
    const found = await proveLabel(again.log, s, accountLabel(uuid(3)));
    expect(found.value).toEqual(verifySearchProof({ checkpoint: parseCheckpoint(parseNote(proofBefore.checkpoint).text), vrfPublicKey: vrfPublicKey(s.vrfSecretKey), label: accountLabel(uuid(3)), proof: fromBase64(proofBefore.proof) }).value);
    expect((await proveLabel(again.log, s, accountLabel(uuid(99)))).version).toBe(0);
  });

  it('account creation queues the identity key update in the account\'s own transaction (nothing for a refused account)', async () => {
    const t = await openTestStore();
    open.push(t);
    const ks = t.store;
    const u = update(42);
    const account = { accountId: uuid(42), identityKey: newIdentity().publicKey, registrationId: 7, secretHash: randomBytes(32), now: clock, ktUpdate: u };
    expect(await ks.createAccount(account)).toBe(true);
    expect(await ks.createAccount({ ...account, ktUpdate: update(43) })).toBe(false);
    const rows = (await t.sql.rows('SELECT label, value FROM kt_pending')) as { label: Buffer; value: Buffer }[];
    expect(rows.map((r) => [new Uint8Array(r.label), new Uint8Array(r.value)])).toEqual([[u.label, u.value]]);
    // A KtLog opened later (a restart after a crash) logs it.
    const log = await KtLog.open({ ...ktSettings(), ...ktStoreOf(ks), now });
    open.push(log);
    expect((await log.settled(u.label)).sequenced).toBe(true);
  });

  it('refuses to start when the database does not match itself (a tampered prefix root)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-log-'));
    dirs.push(dir);
    const path = join(dir, 'keys.db');
    const s = ktSettings();
    const first = await openLog(s, path);
    await first.log.enqueue([update(1)]);
    await first.log.close();
    expect(await first.sql.run('UPDATE kt_entries SET prefix_root = ? WHERE position = 0', [randomBytes(32)])).toBe(1);
    const kt = ktStoreOf(first.data.store);
    await expect(KtLog.open({ ...s, ...kt, now })).rejects.toThrow(/does not match the stored root/);
    await kt.cluster?.close();
  });

  it('enqueue appends later versions: a fake key the server logs is version 1, and the search shows it', async () => {
    const s = ktSettings();
    const { log, sql } = await openLog(s);
    const honest = update(7);
    await log.enqueue([honest]);
    const fake = encodeIdentityValue(newIdentity().publicKey);
    // The next-version proof a search cached is what the sequencer uses for the new version.
    await proveLabel(log, s, honest.label);
    expect(await sql.count('SELECT COUNT(*) FROM kt_vrf_next')).toBe(1);
    await log.enqueue([{ label: honest.label, value: fake }]);
    expect(await sql.count('SELECT COUNT(*) FROM kt_vrf_next')).toBe(0);
    const found = await proveLabel(log, s, honest.label);
    expect(found.version).toBe(1);
    expect(found.value).toEqual(fake);
  });

  it('proves VRF inputs in worker threads with the same proofs as the inline prover', async () => {
    const sk = randomBytes(32);
    const prover = new WorkerVrfProver(sk, 2);
    open.push(prover);
    const alphas = Array.from({ length: 5 }, (_, i) => vrfInput(accountLabel(uuid(i)), 0));
    const proofs = await prover.prove(alphas);
    expect(proofs.map((p) => p.proof)).toEqual(alphas.map((a) => vrfProve(sk, a)));
  });

  describe('with witnesses', () => {
    let witnesses: RunningWitness[] = [];
    afterEach(async () => {
      for (const w of witnesses) await w.close();
      witnesses = [];
    });

    it('a checkpoint counts as witnessed once a quorum cosigned it; the search carries those cosignatures', async () => {
      const s = ktSettings();
      witnesses = await startWitnesses(3, logVkey(s));
      const { log, sql } = await openLog({ ...s, witnesses: witnesses.map((w) => ({ url: w.url, vkey: w.vkey })), witnessQuorum: 3 });
      const u = update(5);
      const settled = await log.enqueue([u]);
      expect(settled).toEqual({ sequenced: true, witnessed: true, position: 0 });
      const [{ cosignatures: stored }] = (await sql.rows('SELECT cosignatures FROM kt_checkpoints WHERE size = 1')) as [{ cosignatures: string }];
      expect(stored.trim().split('\n')).toHaveLength(3);
      const answer = await searchLabel(log, u.label, undefined);
      const { cosigners, search } = verifyAnswer(answer, { policy: policyText(logVkey(s), witnesses, 3), origin: s.origin, vrfPublicKey: vrfPublicKey(s.vrfSecretKey), label: u.label, now: clock });
      expect(cosigners).toBe(3);
      expect(search.value).toEqual(u.value);
      // Each witness now holds size 1: the next round proves consistency from it.
      await log.enqueue([update(6)]);
      expect(log.witnessed).toBe(2);
    });
  });
});
