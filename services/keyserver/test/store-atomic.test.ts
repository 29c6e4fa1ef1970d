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
});
