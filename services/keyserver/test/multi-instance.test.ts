/**
 * Several key-server instances on ONE PostgreSQL database, as separate
 * processes over real HTTP: one-time keys leave once across instances (also
 * when an instance is SIGKILLed mid-claim), and rate limits hold when a
 * client spreads its requests over the instances. Runs when
 * SEALPOST_TEST_POSTGRES_URL names a server (one database, dropped after).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@sealpost/devkit/postgres';
import { randomBytes } from '@sealpost/protocol/primitives';
import { basicAuthHeader, hashDeviceSecret, PostgresKeyStore } from '../src/index.ts';
import { b64, call, newIdentity } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const HOUR = 3600_000;
/** Bundle limit per (requester, target) and registrations per address, as every instance is configured. */
const BUNDLE_BURST = 6;
const REGISTRATION_BURST = 3;
const SETTINGS = {
  bundleRateLimit: { burst: BUNDLE_BURST, refillMs: HOUR },
  bundleTargetBudget: false,
  registrationRateLimit: { burst: REGISTRATION_BURST, refillMs: HOUR },
};

interface Instance {
  child: ChildProcess;
  url: string;
}

function startInstance(databaseUrl: string): Promise<Instance> {
  // node itself with tsx's loader (not the tsx wrapper, which would survive a SIGKILL and leave its node child running).
  const script = join(import.meta.dirname, 'keyserver-instance-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, databaseUrl, JSON.stringify(SETTINGS)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => rej(new Error(`instance did not start in time: ${err}`)), 40_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ child, url: `http://127.0.0.1:${m[1]}` });
      }
    });
    child.on('exit', (code) => rej(new Error(`instance exited (${code}): ${err}`)));
  });
}

describe.runIf(postgresAvailable())('three key-server instances on one PostgreSQL database', () => {
  let database: TestDatabase;
  let store: PostgresKeyStore;
  let instances: Instance[];
  const sig = new Uint8Array(64);

  /** An account made straight in the database (registration over HTTP is rate limited per address). */
  async function account(): Promise<{ accountId: string; auth: string }> {
    const accountId = randomUUID();
    const secret = randomBytes(32);
    await store.createAccount({ accountId, identityKey: newIdentity().publicKey, registrationId: 7, secretHash: hashDeviceSecret(secret), now: Date.now() });
    return { accountId, auth: basicAuthHeader(accountId, 1, secret) };
  }

  /** A target device with `n` EC and `n` Kyber one-time keys (ids 1..n). */
  async function target(n: number): Promise<{ accountId: string; auth: string }> {
    const t = await account();
    await store.storeKeys(t.accountId, 1, { signedPreKey: { keyId: 1, publicKey: Uint8Array.of(5, ...randomBytes(32)), signature: sig }, pqLastResortPreKey: { keyId: 2, publicKey: new Uint8Array(1569).fill(8), signature: sig } }, 1, 10_000);
    for (let start = 1; start <= n; start += 100) {
      const ids = Array.from({ length: Math.min(100, n - start + 1) }, (_, i) => start + i);
      await store.storeKeys(t.accountId, 1, { preKeys: ids.map((keyId) => ({ keyId, publicKey: Uint8Array.of(5, ...randomBytes(32)) })), pqPreKeys: ids.map((keyId) => ({ keyId, publicKey: new Uint8Array(1569).fill(keyId % 256), signature: sig })) }, 1, 10_000);
    }
    return t;
  }

  /** Requesters enough for `fetches` fetches of one target within the per-pair limit. */
  async function requesters(fetches: number) {
    return Promise.all(Array.from({ length: Math.ceil(fetches / BUNDLE_BURST) }, () => account()));
  }

  beforeAll(async () => {
    database = await createTestDatabase('ks_multi');
    store = await PostgresKeyStore.open({ url: database.url });
    instances = await Promise.all([0, 1, 2].map(() => startInstance(database.url)));
  });
  afterAll(async () => {
    for (const i of instances ?? []) if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGTERM');
    await Promise.all((instances ?? []).map((i) => (i.child.exitCode === null && i.child.signalCode === null ? new Promise((r) => i.child.once('exit', r)) : undefined)));
    await store?.close();
    await database?.drop();
  });

  it('1,000 concurrent bundle fetches over three instances hand out exactly the 100 one-time keys, none twice', async () => {
    const t = await target(100);
    const crowd = await requesters(1000);
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => call(instances[i % 3]!, 'GET', `/v1/keys/${t.accountId}/1`, { auth: crowd[Math.floor(i / BUNDLE_BURST)]!.auth })),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const devices = responses.map((r) => r.body.devices[0]);
    const ec = devices.filter((d) => d.preKey !== undefined).map((d) => d.preKey.keyId as number);
    const kyber = devices.filter((d) => !d.pqPreKeyIsLastResort).map((d) => d.pqPreKey.keyId as number);
    expect(ec).toHaveLength(100);
    expect(new Set(ec).size).toBe(100);
    expect(kyber).toHaveLength(100);
    expect(new Set(kyber).size).toBe(100);
    expect([...ec].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Each served Kyber key is that key's own material.
    for (const d of devices.filter((d) => !d.pqPreKeyIsLastResort)) expect(Buffer.from(d.pqPreKey.publicKey, 'base64')[0]).toBe(d.pqPreKey.keyId % 256);
    expect(await store.countOneTimeKeys(t.accountId, 1)).toEqual({ ec: 0, kyber: 0 });
  });

  it('rate limits hold when a client spreads its requests over the instances', async () => {
    const t = await target(0);
    const [me] = await requesters(1);
    const statuses: number[] = [];
    for (let i = 0; i < 4 * BUNDLE_BURST; i++) statuses.push((await call(instances[i % 3]!, 'GET', `/v1/keys/${t.accountId}/1`, { auth: me!.auth })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(BUNDLE_BURST);
    expect(statuses.slice(BUNDLE_BURST).every((s) => s === 429)).toBe(true);
    // The same concurrently: a fresh pair gets exactly its burst, not one burst per instance.
    const [other] = await requesters(1);
    const parallel = await Promise.all(Array.from({ length: 30 }, (_, i) => call(instances[i % 3]!, 'GET', `/v1/keys/${t.accountId}/*`, { auth: other!.auth })));
    expect(parallel.filter((r) => r.status === 200)).toHaveLength(BUNDLE_BURST);
    expect(parallel.filter((r) => r.status === 429).every((r) => Number(r.headers.get('retry-after')) > 0)).toBe(true);

    // Registrations per client address: one budget for the three instances.
    const identity = newIdentity();
    const created = await Promise.all(
      Array.from({ length: 3 * REGISTRATION_BURST }, (_, i) =>
        call(instances[i % 3]!, 'POST', '/v1/accounts', { body: { identityKey: b64(identity.publicKey), registrationId: 5, deviceSecret: b64(randomBytes(32)) } }),
      ),
    );
    expect(created.filter((r) => r.status === 201)).toHaveLength(REGISTRATION_BURST);
    expect(created.filter((r) => r.status === 429)).toHaveLength(2 * REGISTRATION_BURST);
  });

  it('SIGKILL of one instance during claims serves no key twice, and the survivors keep serving', async () => {
    const keys = 200;
    const t = await target(keys);
    const crowd = await requesters(600);
    const victim = instances[0]!;
    const exited = new Promise((r) => victim.child.once('exit', r));
    const fetch = (i: number) =>
      call(instances[i % 3]!, 'GET', `/v1/keys/${t.accountId}/1`, { auth: crowd[Math.floor(i / BUNDLE_BURST)]!.auth }).catch(
        () => undefined, // a fetch the killed instance never answered
      );
    // 300 fetches streaming in: 30 waves of 10, one every 15 ms (not waiting for answers);
    // the victim is killed after the 5th wave, with its claims under way.
    const fetches: ReturnType<typeof fetch>[] = [];
    for (let wave = 0; wave < 30; wave++) {
      for (let j = 0; j < 10; j++) fetches.push(fetch(wave * 10 + j));
      if (wave === 4) victim.child.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 15));
    }
    const first = await Promise.all(fetches);
    await exited;
    expect(victim.child.signalCode).toBe('SIGKILL');
    const answered = first.filter((r) => r !== undefined);
    expect(answered.filter((r) => r.status !== 200)).toEqual([]);
    // Everything sent to the survivors was answered.
    expect(first.filter((r, i) => i % 3 !== 0 && r === undefined)).toEqual([]);
    expect(first.filter((r, i) => i % 3 === 0 && r === undefined).length).toBeGreaterThan(0);

    // The survivors drain the rest (keys the killed instance held in uncommitted claims came back).
    const later: NonNullable<(typeof first)[number]>[] = [];
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 30 }, (_, i) => call(instances[1 + (i % 2)]!, 'GET', `/v1/keys/${t.accountId}/1`, { auth: crowd[50 + Math.floor((round * 30 + i) / BUNDLE_BURST)]!.auth })));
      later.push(...batch);
      if ((await store.countOneTimeKeys(t.accountId, 1)).ec === 0) break;
    }
    expect(later.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(await store.countOneTimeKeys(t.accountId, 1)).toEqual({ ec: 0, kyber: 0 });
    const served = [...answered, ...later].map((r) => r.body.devices[0]).filter((d) => d.preKey !== undefined).map((d) => d.preKey.keyId as number);
    expect(new Set(served).size).toBe(served.length);
    // Keys the killed instance committed but never answered are gone, never served twice: at most its unanswered fetches.
    expect(keys - served.length).toBeLessThanOrEqual(first.filter((r, i) => i % 3 === 0 && r === undefined).length);
  });
});
