/**
 * The store's one guarantee that matters most: a one-time prekey leaves
 * exactly once, even with several processes taking from one SQLite file (or
 * one PostgreSQL database) at the same time; and group commit. A contract
 * suite: every test runs on each backend (PostgreSQL when
 * SEALPOST_TEST_POSTGRES_URL is set; one database per test, dropped after).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeyStore } from '../src/index.ts';
import { BundleBatcher } from '../src/store/bundle-batcher.ts';
import { openTestStore, STORE_BACKENDS, type StoreBackend, type TestStore } from './test-stores.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const dir = mkdtempSync(join(tmpdir(), 'ks-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Stores opened by the current test, closed (and their databases dropped) after it. */
const opened: TestStore[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
});
async function open(backend: StoreBackend, sqlitePath?: string): Promise<TestStore> {
  const t = await openTestStore(backend, sqlitePath === undefined ? {} : { path: sqlitePath });
  opened.push(t);
  return t;
}

describe.each(STORE_BACKENDS)('$backend key store across processes', ({ backend, available }) => {
  it.runIf(available)('4 processes draining 400 one-time keys from one database hand out each exactly once', async () => {
    const path = join(dir, `shared-${backend}.db`);
    const t = await open(backend, path);
    const store = t.store;
    const sig = new Uint8Array(64);
    await store.createAccount({ accountId: 'acct', identityKey: new Uint8Array(33), registrationId: 1, secretHash: new Uint8Array(32), now: 1 });
    await store.storeKeys('acct', 1, { signedPreKey: { keyId: 1, publicKey: new Uint8Array(33), signature: sig }, pqLastResortPreKey: { keyId: 2, publicKey: new Uint8Array(1569), signature: sig } }, 1, 1000);
    for (let start = 0; start < 400; start += 100) {
      await store.storeKeys(
        'acct',
        1,
        {
          preKeys: Array.from({ length: 100 }, (_, i) => ({ keyId: start + i, publicKey: new Uint8Array(33).fill(i) })),
          pqPreKeys: Array.from({ length: 100 }, (_, i) => ({ keyId: start + i, publicKey: new Uint8Array(1569).fill(i), signature: sig })),
        },
        1,
        1000,
      );
    }
    const spec = backend === 'sqlite' ? `sqlite:${path}` : `postgres:${t.databaseUrl!}`;
    if (backend === 'sqlite') await store.close();

    const children = Array.from({ length: 4 }, () => spawn(TSX, [join(import.meta.dirname, 'take-bundles-process.ts'), spec, 'acct', '400'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const ready: Promise<void>[] = [];
    const outputs = children.map(
      (c) =>
        new Promise<{ ec: number[]; kyber: number[] }>((res, rej) => {
          let out = '';
          let signal: () => void = () => undefined;
          ready.push(new Promise((r) => (signal = r)));
          c.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.startsWith('ready\n')) signal();
          });
          c.on('exit', (code) => (code === 0 ? res(JSON.parse(out.slice('ready\n'.length))) : rej(new Error(`child exited ${code}`))));
        }),
    );
    // Every process has loaded (tsx, store opened) before they race.
    await Promise.all(ready);
    for (const c of children) c.stdin!.write('go\n');
    const results = await Promise.all(outputs);
    const ec = results.flatMap((r) => r.ec);
    const kyber = results.flatMap((r) => r.kyber);
    expect(ec).toHaveLength(400);
    expect(new Set(ec).size).toBe(400);
    expect(kyber).toHaveLength(400);
    expect(new Set(kyber).size).toBe(400);

    const after = await t.reopen(); // SQLite: also sweeps material left by the children's last partial batches
    expect(await after.store.countOneTimeKeys('acct', 1)).toEqual({ ec: 0, kyber: 0 });
    expect(await after.sql.keyMaterialRows()).toBe(0);
    await after.store.close();
  });
});

describe.each(STORE_BACKENDS)('$backend key store: group commit', ({ backend, available }) => {
  async function storeWithKeys(n: number) {
    const { store } = await open(backend);
    const sig = new Uint8Array(64);
    await store.createAccount({ accountId: 'acct', identityKey: new Uint8Array(33), registrationId: 1, secretHash: new Uint8Array(32), now: 1 });
    await store.storeKeys('acct', 1, { signedPreKey: { keyId: 1, publicKey: new Uint8Array(33), signature: sig }, pqLastResortPreKey: { keyId: 2, publicKey: new Uint8Array(1569), signature: sig } }, 1, 1000);
    await store.storeKeys('acct', 1, { preKeys: Array.from({ length: n }, (_, i) => ({ keyId: i, publicKey: new Uint8Array(33).fill(i) })) }, 1, 1000);
    return store;
  }

  it.runIf(available)('takeBundlesMany gives each fetch in a batch its own key, in order, then nothing', async () => {
    const store = await storeWithKeys(3);
    const results = await store.takeBundlesMany(Array.from({ length: 5 }, () => ({ accountId: 'acct', deviceId: 1 })));
    expect(results.map((r) => r[0]?.preKey?.keyId)).toEqual([0, 1, 2, undefined, undefined]);
    expect(results.every((r) => r[0]?.pqPreKeyIsLastResort)).toBe(true);
    expect(await store.takeBundlesMany([{ accountId: 'nobody', deviceId: 1 }, { accountId: 'acct', deviceId: 2 }])).toEqual([[], []]);
  });

  it.runIf(available)('a mixed batch (all-devices and one-device fetches, interleaved uploads) hands out what fetch-by-fetch would', async () => {
    // Two stores with the same history: one serves the batch in one call, the other fetch by fetch.
    async function twoDeviceStore() {
      const { store, sql } = await open(backend);
      const sig = new Uint8Array(64).fill(9);
      await store.createAccount({ accountId: 'acct', identityKey: new Uint8Array(33), registrationId: 1, secretHash: new Uint8Array(32), now: 1 });
      expect(await sql.run("INSERT INTO devices (account_id, device_id, registration_id, secret_hash, created_at) VALUES ('acct', 2, 2, ?, 1)", [Buffer.of(0)])).toBe(1);
      for (const device of [1, 2]) {
        await store.storeKeys('acct', device, { signedPreKey: { keyId: device, publicKey: new Uint8Array(33), signature: sig }, pqLastResortPreKey: { keyId: 50 + device, publicKey: new Uint8Array(1569), signature: sig } }, 1, 1000);
      }
      // Uploads alternate between devices, so each device's material ids are not one run.
      for (let round = 0; round < 3; round++) {
        for (const device of [1, 2]) {
          const base = 100 * device + 10 * round;
          await store.storeKeys(
            'acct',
            device,
            {
              preKeys: Array.from({ length: 2 }, (_, i) => ({ keyId: base + i, publicKey: new Uint8Array(33).fill(base + i) })),
              // Device 2 has fewer Kyber keys than EC keys: it runs out of Kyber first, mid-batch.
              pqPreKeys: device === 2 && round > 0 ? [] : Array.from({ length: 2 }, (_, i) => ({ keyId: base + i, publicKey: new Uint8Array(1569).fill(base + i), signature: sig })),
            },
            1,
            1000,
          );
        }
      }
      return store;
    }
    const requests = [1, undefined, 2, undefined, 1, 2, undefined, 1, 2, 2, undefined, 1].map((deviceId) => ({ accountId: 'acct', deviceId }));
    const summary = (bundles: Awaited<ReturnType<KeyStore['takeBundles']>>) =>
      bundles.map((b) => [b.deviceId, b.preKey?.keyId, b.preKey?.publicKey[0], b.pqPreKey.keyId, b.pqPreKey.publicKey[0], b.pqPreKeyIsLastResort]);
    const batched = await twoDeviceStore();
    const oneByOne = await twoDeviceStore();
    const got = (await batched.takeBundlesMany(requests)).map(summary);
    const expected: ReturnType<typeof summary>[] = [];
    // Fetch by fetch: each awaited before the next starts, so each is its own batch.
    for (const r of requests) expected.push(summary(await oneByOne.takeBundles(r.accountId, r.deviceId)));
    expect(got).toEqual(expected);
    // Each key once: 6 EC keys per device, 6 Kyber keys on device 1 and 2 on device 2.
    const ec = got.flat().filter((d) => d[1] !== undefined).map((d) => `${d[0]}.${d[1]}`);
    const kyber = got.flat().filter((d) => d[5] === false).map((d) => `${d[0]}.${d[3]}`);
    expect(new Set(ec).size).toBe(ec.length);
    expect(new Set(kyber).size).toBe(kyber.length);
    expect(kyber).toHaveLength(8);
    expect(ec).toHaveLength(12);
    // The material served is the key's own (keys were filled with their id, mod 256).
    for (const d of got.flat()) {
      if (d[1] !== undefined) expect(d[2]).toBe((d[1] as number) % 256);
      if (d[5] === false) expect(d[4]).toBe((d[3] as number) % 256);
    }
    expect(await batched.countOneTimeKeys('acct', 1)).toEqual(await oneByOne.countOneTimeKeys('acct', 1));
    expect(await batched.countOneTimeKeys('acct', 2)).toEqual(await oneByOne.countOneTimeKeys('acct', 2));
  });

  it.runIf(available)('the batcher answers fetches from one event-loop turn with one transaction', async () => {
    const store = await storeWithKeys(10);
    let transactions = 0;
    const inner = store.takeBundlesMany.bind(store);
    store.takeBundlesMany = (reqs) => {
      transactions++;
      return inner(reqs);
    };
    const batcher = new BundleBatcher(store, 4);
    const got = await Promise.all(Array.from({ length: 10 }, () => batcher.take('acct', 1)));
    expect(got.map((b) => b[0]!.preKey!.keyId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(transactions).toBe(3); // batches of 4, 4 and 2
    // A failing batch rejects each of its fetches and leaves the keys in place.
    store.takeBundlesMany = () => {
      throw new Error('disk full');
    };
    await expect(batcher.take('acct', 1)).rejects.toThrow('disk full');
  });
});
