/**
 * The store's domain-atomic methods: an account or a linked device is stored
 * together with its initial keys or not at all, and a drained device is not
 * remembered as drained for ever. A contract suite: every test runs on each
 * backend (PostgreSQL when SEALPOST_TEST_POSTGRES_URL is set; one database
 * per test, dropped after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildKeyServer, type KeyStore, type SqliteKeyStoreOptions } from '../src/index.ts';
import { b64, ecPublicKey, kyberPublicKey, newIdentity, signedKey } from './support.ts';
import { openTestStore, STORE_BACKENDS, type StoreBackend, type TestStore } from './test-stores.ts';
import { randomBytes } from '@sealpost/protocol/primitives';

const dir = mkdtempSync(join(tmpdir(), 'ks-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sig = new Uint8Array(64);
const signed = { keyId: 1, publicKey: new Uint8Array(33), signature: sig };
const lastResort = { keyId: 2, publicKey: new Uint8Array(1569), signature: sig };
// A NOT NULL column gets null: the insert of this key fails inside the transaction.
const broken = { keyId: 3, publicKey: null as unknown as Uint8Array, signature: sig };
const account = (accountId: string) => ({ accountId, identityKey: new Uint8Array(33), registrationId: 1, secretHash: new Uint8Array(32), now: 1 });

/** Stores opened by the current test, closed (and their databases dropped) after it. */
const opened: TestStore[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
});
async function open(backend: StoreBackend, sqlite: { path?: string; options?: SqliteKeyStoreOptions } = {}): Promise<TestStore> {
  const t = await openTestStore(backend, sqlite);
  opened.push(t);
  return t;
}

describe.each(STORE_BACKENDS)('$backend key store: domain-atomic writes', ({ backend, available }) => {
  it.runIf(available)('creates an account with its initial keys in one transaction', async () => {
    const { store, sql } = await open(backend);
    expect(await store.createAccount({ ...account('a'), initialKeys: { signedPreKey: signed, pqLastResortPreKey: lastResort } })).toBe(true);
    expect((await store.signedKeyHistory('a', 1)).map((k) => [k.kind, k.keyId])).toEqual([['kyber', 2], ['ec', 1]]);
    expect((await store.takeBundles('a', 1))[0]).toMatchObject({ deviceId: 1, signedPreKey: { keyId: 1 }, pqPreKey: { keyId: 2 }, pqPreKeyIsLastResort: true });

    await expect(store.createAccount({ ...account('b'), initialKeys: { signedPreKey: signed, pqLastResortPreKey: broken } })).rejects.toThrow();
    expect(await store.listDevices('b')).toBeUndefined();
    expect(await store.identityKey('b')).toBeUndefined();
    expect(await sql.count("SELECT COUNT(*) FROM signed_prekeys WHERE account_id = 'b'")).toBe(0);
    // An existing id is refused without touching the account.
    expect(await store.createAccount({ ...account('a'), initialKeys: { signedPreKey: { ...signed, keyId: 9 } } })).toBe(false);
    expect((await store.signedKeyHistory('a', 1)).map((k) => k.keyId)).toEqual([2, 1]);
  });

  it.runIf(available)('links a device with its initial keys in one transaction; a failed link keeps the code', async () => {
    const { store } = await open(backend);
    await store.createAccount(account('a'));
    const code = new Uint8Array(32).fill(7);
    await store.addProvisioningCode('a', code, 100, 0, 5);
    const link = { codeHash: code, registrationId: 5, secretHash: new Uint8Array(32), now: 2, maxDevices: 6 };
    await expect(store.linkDevice({ ...link, initialKeys: { signedPreKey: signed, pqLastResortPreKey: broken } })).rejects.toThrow();
    expect((await store.listDevices('a'))?.map((d) => d.deviceId)).toEqual([1]);
    expect(await store.provisioningCodeAccount(code, 2)).toBe('a');
    expect(await store.linkDevice({ ...link, initialKeys: { signedPreKey: signed, pqLastResortPreKey: lastResort } })).toEqual({ ok: true, accountId: 'a', deviceId: 2 });
    expect((await store.signedKeyHistory('a', 2)).map((k) => k.keyId)).toEqual([2, 1]);
    expect(await store.provisioningCodeAccount(code, 2)).toBeUndefined();
  });

  it.runIf(available)('sees keys another process uploaded to a drained device once the drained mark expires', async () => {
    const t = await open(backend, { path: join(dir, 'drained.db'), options: { drainedTtlMs: 50 } });
    const server = t.store;
    await server.createAccount({ ...account('a'), initialKeys: { signedPreKey: signed, pqLastResortPreKey: lastResort } });
    expect((await server.takeBundles('a', 1))[0]?.preKey).toBeUndefined(); // drained now
    const other = (await t.reopen()).store;
    await other.storeKeys('a', 1, { preKeys: [{ keyId: 40, publicKey: new Uint8Array(33).fill(4) }] }, 3, 100);
    await other.close();
    await new Promise((r) => setTimeout(r, 60));
    expect((await server.takeBundles('a', 1))[0]?.preKey?.keyId).toBe(40);
  });

  it.runIf(available)('account creation and linking with initial keys are each one store write', async () => {
    const inner = (await open(backend)).store;
    const writes: string[] = [];
    const writing = new Set(['createAccount', 'linkDevice', 'storeKeys', 'addProvisioningCode', 'removeDevice']);
    const store = new Proxy(inner, {
      get(target, name, receiver) {
        const v = Reflect.get(target, name, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (writing.has(String(name))) writes.push(String(name));
          return v.apply(target, args);
        };
      },
    }) as KeyStore;
    const app = await buildKeyServer({ store, closeStore: false, docs: false, settings: { registrationRateLimit: false } });
    const identity = newIdentity();
    const secret = randomBytes(32);
    const keys = (base: number) => ({ signedPreKey: signedKey(identity, base, ecPublicKey()), pqLastResortPreKey: signedKey(identity, base + 1, kyberPublicKey()) });
    const created = await app.inject({ method: 'POST', url: '/v1/accounts', payload: { identityKey: b64(identity.publicKey), registrationId: 9, deviceSecret: b64(secret), ...keys(1) } });
    expect(created.statusCode).toBe(201);
    expect(writes).toEqual(['createAccount']);
    const { accountId } = created.json() as { accountId: string };
    const auth = `Basic ${Buffer.from(`${accountId}.1:${b64(secret)}`).toString('base64')}`;
    const code = (await app.inject({ method: 'POST', url: '/v1/devices/provisioning-codes', headers: { authorization: auth } })).json().code as string;
    writes.length = 0;
    const linked = await app.inject({ method: 'POST', url: '/v1/devices/link', payload: { provisioningCode: code, registrationId: 10, deviceSecret: b64(randomBytes(32)), ...keys(11) } });
    expect([linked.statusCode, linked.json()]).toEqual([201, { accountId, deviceId: 2 }]);
    expect(writes).toEqual(['linkDevice']);
    expect((await inner.signedKeyHistory(accountId, 2)).map((k) => k.keyId)).toEqual([12, 11]);
    await app.close();
  });

  it.runIf(available)('concurrent writes through two stores on one database keep the caps and never reuse a device id', async () => {
    const t = await open(backend, { path: join(dir, `two-writers-${backend}.db`) });
    const other = (await t.reopen()).store;
    try {
      const stores = [t.store, other];
      await t.store.createAccount({ ...account('a'), initialKeys: { signedPreKey: signed, pqLastResortPreKey: lastResort } });
      // 10 uploads of 10 keys at once, alternating stores, against a cap of 45: exactly 4 fit.
      const uploads = await Promise.all(
        Array.from({ length: 10 }, (_, u) =>
          stores[u % 2]!.storeKeys('a', 1, { preKeys: Array.from({ length: 10 }, (_, i) => ({ keyId: u * 100 + i, publicKey: new Uint8Array(33).fill(u) })) }, 2, 45),
        ),
      );
      expect(uploads.filter((r) => r.ok)).toHaveLength(4);
      expect(uploads.filter((r) => !r.ok && r.reason === 'TOO_MANY_KEYS')).toHaveLength(6);
      expect((await other.countOneTimeKeys('a', 1)).ec).toBe(40);
      // The same ids through both stores at once: one upload wins, the other is a duplicate.
      const same = await Promise.all(stores.map((s) => s.storeKeys('a', 1, { preKeys: [{ keyId: 7000, publicKey: new Uint8Array(33) }] }, 2, 100)));
      expect(same.map((r) => (r.ok ? 'ok' : r.reason)).sort()).toEqual(['DUPLICATE_KEY_ID', 'ok']);

      // 8 links at once through both stores, cap 4 devices: 3 linked with distinct new ids, the rest refused.
      const codes = Array.from({ length: 8 }, (_, i) => new Uint8Array(32).fill(i + 1));
      for (const [i, code] of codes.entries()) expect(await stores[i % 2]!.addProvisioningCode('a', code, 100, 0, 10)).toEqual({ ok: true });
      const links = await Promise.all(codes.map((codeHash, i) => stores[i % 2]!.linkDevice({ codeHash, registrationId: 5, secretHash: new Uint8Array(32), now: 2, maxDevices: 4 })));
      const ids = links.flatMap((l) => (l.ok ? [l.deviceId] : []));
      expect(ids.sort((x, y) => x - y)).toEqual([2, 3, 4]);
      expect(links.filter((l) => !l.ok && l.reason === 'DEVICE_LIMIT')).toHaveLength(5);
      // After a removal the next link gets 5, not a freed id.
      expect(await other.removeDevice('a', 3)).toBe(true);
      const refused = codes.find((_, i) => !links[i]!.ok)!;
      expect(await t.store.linkDevice({ codeHash: refused, registrationId: 5, secretHash: new Uint8Array(32), now: 2, maxDevices: 4 })).toEqual({ ok: true, accountId: 'a', deviceId: 5 });
      // Provisioning codes: 6 at once against a cap of 5 outstanding.
      const added = await Promise.all(Array.from({ length: 6 }, (_, i) => stores[i % 2]!.addProvisioningCode('a', new Uint8Array(32).fill(100 + i), 1000, 500, 5)));
      expect(added.filter((r) => r.ok)).toHaveLength(5);
    } finally {
      await other.close();
    }
  });
});
