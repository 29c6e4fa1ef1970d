/**
 * Key transparency on three key-server PROCESSES sharing one PostgreSQL
 * database, with three witnesses (@sealpost/devkit/witnesses, 2-of-3): the
 * sequencing instance is SIGKILLed while accounts are being created on all
 * three; another instance takes the sequencer lock within a bounded time;
 * every account in the database — also those the killed instance committed
 * and never answered — ends up in the log (no pending update lost); the
 * answered ones verify on both survivors; log positions are contiguous,
 * every stored checkpoint is signed, matches the entries and is consistent
 * with the previous one, and no witness refused anything. Runs in the
 * services-postgres project only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryLeafStore,
  accountLabel,
  consistencyProof,
  decodeIdentityValue,
  ed25519NoteVerifier,
  encodeLogEntry,
  hashLeaf,
  openCheckpoint,
  rootOfLeafHashes,
  verifyConsistency,
  vrfPublicKey,
} from '@sealpost/keytrans';
import { createTestDatabase, type TestDatabase } from '@sealpost/devkit/postgres';
import { startWitnesses, type RunningWitnesses } from '@sealpost/devkit/witnesses';
import { toBase64 } from '@sealpost/protocol/primitives';
import { ktSettings, logVkey, search, verifyAnswer } from './kt-support.ts';
import { createAccount, type DeviceLogin } from './support.ts';
import { postgresSql, testBackend } from './test-stores.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const LEADER_RETRY_MS = 200;

interface Instance {
  child: ChildProcess;
  url: string;
  leading: boolean;
  /** When this instance last reported that it leads (ms since the epoch). */
  ledAt: number | undefined;
}

function startInstance(databaseUrl: string, kt: object): Promise<Instance> {
  // node itself with tsx's loader (not the tsx wrapper, which would survive a SIGKILL and leave its node child running).
  const script = join(import.meta.dirname, 'keyserver-instance-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, databaseUrl, JSON.stringify({ registrationRateLimit: false }), JSON.stringify(kt)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    let instance: Instance | undefined;
    const timer = setTimeout(() => rej(new Error(`instance did not start in time: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const listening = /^listening (\d+)$/.exec(line);
        if (listening) {
          clearTimeout(timer);
          instance = { child, url: `http://127.0.0.1:${listening[1]}`, leading: false, ledAt: undefined };
          res(instance);
        }
        const leading = /^leading (true|false)$/.exec(line);
        if (leading && instance !== undefined) {
          instance.leading = leading[1] === 'true';
          if (instance.leading) instance.ledAt = Date.now();
        }
      }
    });
    child.on('exit', (code) => rej(new Error(`instance exited (${code}): ${err}`)));
  });
}

const alive = (i: Instance) => i.child.exitCode === null && i.child.signalCode === null;

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.runIf(testBackend() === 'postgres')('key transparency on three key-server processes on one PostgreSQL database', () => {
  let database: TestDatabase;
  let witnesses: RunningWitnesses;
  let instances: Instance[] = [];
  const kt = ktSettings({ leaderRetryMs: LEADER_RETRY_MS, settleTimeoutMs: 5000 });

  beforeAll(async () => {
    database = await createTestDatabase('ks_ktmulti');
    witnesses = await startWitnesses(3, { logs: [logVkey(kt)] });
    const config = {
      ...kt,
      vrfSecretKey: toBase64(kt.vrfSecretKey),
      logNoteKey: toBase64(kt.logNoteKey),
      witnesses: witnesses.urls.map((url, i) => ({ url, vkey: witnesses.vkeys[i]! })),
      witnessQuorum: 2,
    };
    instances = await Promise.all([0, 1, 2].map(() => startInstance(database.url, config)));
  });
  afterAll(async () => {
    for (const i of instances) if (alive(i)) i.child.kill('SIGTERM');
    await Promise.all(instances.map((i) => (alive(i) ? new Promise((r) => i.child.once('exit', r)) : undefined)));
    await witnesses?.close();
    await database?.drop();
  });

  it('the leader SIGKILLed mid-creation: another leads within a bounded time, no update is lost, and the log stays one consistent log', async () => {
    const check = { policy: witnesses.policyText, origin: kt.origin, vrfPublicKey: vrfPublicKey(kt.vrfSecretKey) };
    await until('a leader', () => instances.some((i) => i.leading), 20_000);
    expect(instances.filter((i) => i.leading)).toHaveLength(1);
    const victim = instances.find((i) => i.leading)!;
    const survivors = instances.filter((i) => i !== victim);

    // Accounts created on every instance verify on every instance.
    const first = await Promise.all(instances.map((i) => createAccount(i)));
    for (const who of first) {
      const label = accountLabel(who.accountId);
      for (const i of instances) {
        await until('the search to answer', async () => (await search(i, label)).status === 200, 10_000);
        expect(decodeIdentityValue(verifyAnswer((await search(i, label)).body, { ...check, label }).search.value)).toEqual(who.identity.publicKey);
      }
    }

    // 30 creations streaming in over the three (waves of 3, one every 40 ms); the leader is killed after the 4th wave.
    const exited = new Promise((r) => victim.child.once('exit', r));
    const creations: Promise<DeviceLogin | undefined>[] = [];
    let killedAt = 0;
    for (let wave = 0; wave < 10; wave++) {
      for (const i of instances) creations.push(createAccount(i).catch(() => undefined));
      if (wave === 3) {
        victim.child.kill('SIGKILL');
        killedAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 40));
    }
    const created = await Promise.all(creations);
    await exited;
    expect(victim.child.signalCode).toBe('SIGKILL');
    // Everything sent to the survivors was answered; the victim died with creations under way.
    expect(created.filter((c, n) => instances[n % 3] !== victim && c === undefined)).toEqual([]);
    expect(created.filter((c, n) => instances[n % 3] === victim && c === undefined).length).toBeGreaterThan(0);

    // Another instance takes the lock: within a bounded time of the kill.
    await until('a surviving leader', () => survivors.some((i) => i.leading), 10_000);
    expect(survivors.filter((i) => i.leading)).toHaveLength(1);
    const takeover = survivors.find((i) => i.leading)!.ledAt! - killedAt;
    expect(takeover).toBeLessThan(5000);

    const sql = postgresSql(database.url);
    try {
      // No pending update is lost: every account in the database (also those the victim committed and never answered) is logged.
      await until('the pending updates to be sequenced', async () => (await sql.count('SELECT count(*) FROM kt_pending')) === 0, 15_000);
      const ids = (await sql.rows('SELECT account_id FROM accounts')).map((r) => r.account_id as string);
      const answered = [...first, ...created.filter((c): c is DeviceLogin => c !== undefined)];
      expect(ids.length).toBeGreaterThanOrEqual(answered.length);
      for (const id of ids) expect(await sql.count('SELECT count(*) FROM kt_versions WHERE label = ? AND version = 0', [accountLabel(id)]), id).toBe(1);
      expect(await sql.count('SELECT count(*) FROM kt_versions')).toBe(ids.length);

      // The answered accounts verify on both survivors.
      for (const who of answered) {
        const label = accountLabel(who.accountId);
        for (const i of survivors) {
          await until('the search to answer', async () => (await search(i, label)).status === 200, 10_000);
          expect(decodeIdentityValue(verifyAnswer((await search(i, label)).body, { ...check, label }).search.value)).toEqual(who.identity.publicKey);
        }
      }

      // One log: contiguous positions; every checkpoint signed, matching the entries, consistent with the previous one.
      const entries = await sql.rows('SELECT position, timestamp_ms, prefix_root FROM kt_entries ORDER BY position');
      expect(entries.map((e) => Number(e.position))).toEqual(entries.map((_, n) => n));
      const leafHashes = entries.map((e) => hashLeaf(encodeLogEntry({ timestamp: Number(e.timestamp_ms), prefixRoot: new Uint8Array(e.prefix_root as Buffer) })));
      const notes = await sql.rows('SELECT size, note FROM kt_checkpoints ORDER BY size');
      expect(notes.map((n) => Number(n.size))).toEqual(entries.map((_, n) => n + 1));
      let previous: { size: number; rootHash: Uint8Array } | undefined;
      for (const row of notes) {
        const { checkpoint } = openCheckpoint(row.note as string, [ed25519NoteVerifier(logVkey(kt))], { origin: kt.origin });
        expect(checkpoint.size).toBe(Number(row.size));
        expect(checkpoint.rootHash).toEqual(rootOfLeafHashes(leafHashes.slice(0, checkpoint.size)));
        if (previous !== undefined) {
          const prefix = new MemoryLeafStore();
          for (const h of leafHashes.slice(0, checkpoint.size)) prefix.appendLeafHash(h);
          verifyConsistency(previous.size, checkpoint.size, consistencyProof(prefix, previous.size, checkpoint.size), previous.rootHash, checkpoint.rootHash);
        }
        previous = checkpoint;
      }
      // The witnesses saw one log: nothing refused as a fork or an inconsistent proof.
      for (let w = 0; w < 3; w++) expect(await witnesses.evidence(w)).toEqual([]);
      // Both survivors follow the same log to its end.
      const newest = entries.length;
      await until('the followers to reach the newest entry', async () => {
        for (const i of survivors) if ((await fetch(`${i.url}/kt/checkpoint`).then((r) => r.text())).split('\n')[1] !== String(newest)) return false;
        return true;
      }, 10_000);
    } finally {
      await sql.end();
    }
  });
});
