/**
 * Issue 11 items 2, 7 (certificate caching) and 11 (provisioning-code cap)
 * on the key server, over real HTTP: device ids are never reused (also
 * across the schema migration), outstanding provisioning codes are capped,
 * and sender certificates are cached per device until near expiry, bound to
 * the registration id, and dropped on removal.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { x25519GenerateKeyPair } from '@sealpost/protocol/primitives';
import { createServerCertificate } from '@sealpost/protocol/sealed-sender';
import { migrate, MIGRATIONS } from '../src/store/migrations.ts';
import { SqliteKeyStore } from '../src/store/sqlite-key-store.ts';
import { call, createAccount, linkDevice, startServer } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'ks-lifecycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('device ids', () => {
  it('are never reused: a device linked after a removal gets a new id, up to 127, then 409', async () => {
    const server = await startServer({ settings: { maxDevices: 3 } });
    try {
      const primary = await createAccount(server);
      const first = await linkDevice(server, primary, false);
      expect(first.deviceId).toBe(2);
      expect((await call(server, 'DELETE', '/v1/devices/2', { auth: primary.auth })).status).toBe(204);
      const next = await linkDevice(server, primary, false);
      expect(next.deviceId).toBe(3);
      // A removed linked device removing itself does not free its id either.
      expect((await call(server, 'DELETE', `/v1/devices/${next.deviceId}`, { auth: next.auth })).status).toBe(204);
      let last = 0;
      for (let i = 0; i < 124; i++) {
        const d = await linkDevice(server, primary, false);
        last = d.deviceId;
        expect((await call(server, 'DELETE', `/v1/devices/${d.deviceId}`, { auth: primary.auth })).status).toBe(204);
      }
      expect(last).toBe(127);
      const code = (await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: primary.auth })).body.code as string;
      const res = await call(server, 'POST', '/v1/devices/link', {
        body: { provisioningCode: code, registrationId: 9, deviceSecret: Buffer.alloc(32, 1).toString('base64') },
      });
      expect([res.status, res.body.error.code]).toEqual([409, 'DEVICE_IDS_EXHAUSTED']);
      // Another account starts at 2 again.
      expect((await linkDevice(server, await createAccount(server), false)).deviceId).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('the migration starts an existing account above its highest present id', async () => {
    const path = join(dir, 'v1.db');
    const db = new Database(path);
    migrate(db, MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO accounts (account_id, identity_key, created_at) VALUES ('acct', x'05', 0)").run();
    const device = db.prepare("INSERT INTO devices (account_id, device_id, registration_id, secret_hash, created_at) VALUES ('acct', ?, 1, x'00', 0)");
    for (const id of [1, 2, 5]) device.run(id);
    db.prepare("INSERT INTO provisioning_codes (code_hash, account_id, expires_at) VALUES (x'01', 'acct', 100)").run();
    db.close();
    const store = new SqliteKeyStore(path);
    try {
      const linked = await store.linkDevice({ codeHash: Uint8Array.of(1), registrationId: 3, secretHash: new Uint8Array(32), now: 1, maxDevices: 6 });
      expect(linked).toEqual({ ok: true, accountId: 'acct', deviceId: 6 });
    } finally {
      await store.close();
    }
  });
});

describe('provisioning codes', () => {
  it('at most maxProvisioningCodes are outstanding per account; 429 with Retry-After until one expires or is used', async () => {
    let now = 1_800_000_000_000;
    const server = await startServer({ now: () => now, settings: { maxProvisioningCodes: 3, provisioningCodeTtlMs: 60_000 } });
    try {
      const a = await createAccount(server);
      const other = await createAccount(server);
      const codes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: a.auth });
        expect(r.status).toBe(201);
        codes.push(r.body.code);
        now += 1000;
      }
      const capped = await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: a.auth });
      expect([capped.status, capped.body.error.code]).toEqual([429, 'TOO_MANY_PROVISIONING_CODES']);
      expect(Number(capped.headers.get('retry-after'))).toBe(57); // the oldest expires 57 s from now
      // Other accounts are not affected.
      expect((await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: other.auth })).status).toBe(201);
      // Using a code frees a slot.
      const used = await call(server, 'POST', '/v1/devices/link', {
        body: { provisioningCode: codes[0], registrationId: 9, deviceSecret: Buffer.alloc(32, 2).toString('base64') },
      });
      expect(used.status).toBe(201);
      expect((await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: a.auth })).status).toBe(201);
      expect((await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: a.auth })).status).toBe(429);
      // Expiry frees slots too.
      now += 60_000;
      expect((await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: a.auth })).status).toBe(201);
    } finally {
      await server.close();
    }
  });
});

describe('sender certificates', () => {
  it('are cached per device until near expiry, bound to the device, and forgotten on removal', async () => {
    let now = 1_800_000_000_000;
    const root = x25519GenerateKeyPair();
    const certKey = x25519GenerateKeyPair();
    const serverCert = createServerCertificate({ keyId: 1, serverPublicKey: certKey.publicKey, trustRootPrivateKey: root.privateKey });
    const server = await startServer({
      now: () => now,
      senderCertificate: { certificate: serverCert.serialized, privateKey: certKey.privateKey },
      settings: { senderCertificateTtlMs: 24 * 3600_000, senderCertificateReuseMarginMs: 2 * 3600_000 },
    });
    try {
      const a = await createAccount(server);
      const linked = await linkDevice(server, a);
      const cert = async (auth: string) => (await call(server, 'GET', '/v1/certificate/sender', { auth })).body as { certificate: string; expiresAt: number };
      const first = await cert(a.auth);
      now += 3600_000;
      // XEdDSA signatures are randomized: the same bytes mean the same (cached) certificate.
      expect(await cert(a.auth)).toEqual(first);
      const ofLinked = await cert(linked.auth);
      expect(ofLinked.certificate).not.toBe(first.certificate);
      expect(await cert(linked.auth)).toEqual(ofLinked);
      const cache = server.app.keyserver.senderCertificates!.cache;
      expect(cache.size).toBe(2);
      // Near expiry (2 h left or less): a fresh one.
      now = first.expiresAt - 2 * 3600_000;
      const renewed = await cert(a.auth);
      expect(renewed.expiresAt).toBe(now + 24 * 3600_000);
      expect(renewed.certificate).not.toBe(first.certificate);
      // Removal drops the linked device's entry; it can no longer fetch one.
      expect((await call(server, 'DELETE', `/v1/devices/${linked.deviceId}`, { auth: a.auth })).status).toBe(204);
      expect(cache.size).toBe(1);
      expect((await call(server, 'GET', '/v1/certificate/sender', { auth: linked.auth })).status).toBe(401);
      // Bound to the registration id: another registration id for the same address is never served the cached one.
      expect(cache.get(a.accountId, 1, 1, a.identity.publicKey, now)).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
