import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '@sealpost/protocol/primitives';
import { basicAuthHeader } from '../src/index.ts';
import { b64, call, createAccount, ecPublicKey, kyberPublicKey, linkDevice, newIdentity, signedKey, startServer, type DeviceLogin, type RunningServer } from './support.ts';

let server: RunningServer;
let alice: DeviceLogin;
let bob: DeviceLogin;

beforeAll(async () => {
  server = await startServer({ settings: { maxDevices: 3 } });
  alice = await createAccount(server);
  bob = await createAccount(server);
});
afterAll(async () => server.close());

describe('accounts', () => {
  it('creates an account whose device authenticates and is listed publicly', async () => {
    expect(alice.accountId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(alice.deviceId).toBe(1);
    const me = await call(server, 'GET', '/v1/accounts/whoami', { auth: alice.auth });
    expect(me.status).toBe(200);
    expect(me.body.accountId).toBe(alice.accountId);
    const list = await call(server, 'GET', `/v1/accounts/${alice.accountId}/devices`);
    expect(list.status).toBe(200);
    expect(list.body.devices).toEqual([{ deviceId: 1, registrationId: me.body.registrationId }]);
  });

  it('stores only a hash of the device secret', async () => {
    const row = (await server.sql.rows('SELECT secret_hash FROM devices WHERE account_id = ?', [alice.accountId]))[0] as { secret_hash: Buffer };
    expect(row.secret_hash.length).toBe(32);
    expect(Buffer.from(row.secret_hash).equals(Buffer.from(alice.secret))).toBe(false);
    expect(await server.sql.dump()).not.toContain(Buffer.from(alice.secret).toString('hex'));
  });

  it('404s the device list of an unknown account and 400s a malformed id', async () => {
    expect((await call(server, 'GET', '/v1/accounts/00000000-0000-4000-8000-000000000000/devices')).body.error.code).toBe('UNKNOWN_ACCOUNT');
    const bad = await call(server, 'GET', '/v1/accounts/not-a-uuid/devices');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_REQUEST');
  });

  it('rejects account creation with a bad identity key or a bad prekey signature, storing nothing', async () => {
    const before = await server.sql.dump();
    const identity = newIdentity();
    const other = newIdentity();
    const base = { identityKey: b64(identity.publicKey), registrationId: 7, deviceSecret: b64(randomBytes(32)) };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, identityKey: b64(identity.publicKey.subarray(1)) }, 400, 'BAD_LENGTH'],
      [{ ...base, identityKey: b64(Uint8Array.of(0x06, ...identity.publicKey.subarray(1))) }, 400, 'BAD_KEY_TYPE'],
      [{ ...base, deviceSecret: b64(randomBytes(16)) }, 400, 'BAD_LENGTH'],
      [{ ...base, deviceSecret: 'not base64!' }, 400, 'BAD_BASE64'],
      [{ ...base, registrationId: 0 }, 400, 'INVALID_REQUEST'],
      [{ ...base, registrationId: '7' }, 400, 'INVALID_REQUEST'],
      [{ ...base, extra: 1 }, 400, 'INVALID_REQUEST'],
      [{ ...base, signedPreKey: signedKey(other, 1, ecPublicKey()) }, 422, 'INVALID_SIGNATURE'],
      [{ ...base, pqLastResortPreKey: signedKey(other, 1, kyberPublicKey()) }, 422, 'INVALID_SIGNATURE'],
    ];
    for (const [body, status, code] of cases) {
      const res = await call(server, 'POST', '/v1/accounts', { body });
      expect([res.status, res.body.error?.code], JSON.stringify(body).slice(0, 80)).toEqual([status, code]);
      expect(res.body.error.message.length).toBeGreaterThan(5);
    }
    expect(await server.sql.dump()).toBe(before);
  });
});

describe('authentication failures', () => {
  const enc = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  const secretB64 = () => b64(alice.secret);

  it('rejects every malformed or wrong credential with 401 and a Basic challenge', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'missing Authorization header'],
      ['Bearer abc', 'Authorization must be Basic credentials'],
      ['Basic', 'Authorization must be Basic credentials'],
      ['Basic !!!', 'Authorization must be Basic credentials'],
      [enc('no-colon-here'), 'Basic credentials must be'],
      [enc(`${alice.accountId}:${secretB64()}`), 'Basic user must be'],
      [enc(`${alice.accountId.toUpperCase()}.1:${secretB64()}`), 'Basic user must be'],
      [enc(`${alice.accountId}.0:${secretB64()}`), 'Basic user must be'],
      [enc(`${alice.accountId}.1:short`), 'device secret must be 32 bytes'],
      [enc(`${alice.accountId}.1:${b64(randomBytes(32))}`), 'invalid credentials'], // wrong secret
      [enc(`${alice.accountId}.9:${secretB64()}`), 'invalid credentials'], // unknown device
      [enc(`00000000-0000-4000-8000-000000000000.1:${secretB64()}`), 'invalid credentials'], // unknown account
      [enc(`${bob.accountId}.1:${secretB64()}`), 'invalid credentials'], // another account's id with my secret
      ['Basic ' + 'A'.repeat(600), 'Authorization header too long'],
    ];
    for (const [auth, message] of cases) {
      const res = await call(server, 'GET', '/v1/accounts/whoami', auth === undefined ? {} : { auth });
      expect(res.status, String(auth)).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(res.body.error.message).toContain(message);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
  });

  it('requires authentication on every device-scoped route', async () => {
    const routes: [string, string][] = [
      ['GET', '/v1/devices'],
      ['POST', '/v1/devices/provisioning-codes'],
      ['DELETE', '/v1/devices/2'],
      ['PUT', '/v1/keys'],
      ['GET', '/v1/keys/count'],
      ['GET', '/v1/keys/rotation'],
      ['POST', '/v1/keys/check'],
      ['GET', `/v1/keys/${alice.accountId}/1`],
      ['GET', '/v1/certificate/sender'],
      ['GET', '/v1/credentials/relay'],
    ];
    const bodies: Record<string, unknown> = {
      '/v1/keys': { signedPreKey: signedKey(alice.identity, 5, ecPublicKey()) },
      '/v1/keys/check': { digest: b64(new Uint8Array(32)) },
    };
    for (const [method, path] of routes) {
      const body = bodies[path];
      const res = await call(server, method, path, { auth: basicAuthHeader(alice.accountId, 1, randomBytes(32)), ...(body ? { body } : {}) });
      expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 401, 'UNAUTHORIZED']);
    }
  });
});

describe('devices', () => {
  let carol: DeviceLogin;
  beforeAll(async () => {
    carol = await createAccount(server);
  });

  it('links a device with a one-time provisioning code and lists it', async () => {
    const linked = await linkDevice(server, carol);
    expect(linked.accountId).toBe(carol.accountId);
    expect(linked.deviceId).toBe(2);
    const me = await call(server, 'GET', '/v1/accounts/whoami', { auth: linked.auth });
    expect(me.body).toMatchObject({ accountId: carol.accountId, deviceId: 2, registrationId: 4242 });
    const list = await call(server, 'GET', '/v1/devices', { auth: linked.auth });
    expect(list.body.devices.map((d: { deviceId: number }) => d.deviceId)).toEqual([1, 2]);
  });

  it('refuses reused, unknown and expired codes, and codes from linked devices', async () => {
    const code = (await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: carol.auth })).body.code as string;
    const body = (c: string) => ({ provisioningCode: c, registrationId: 5, deviceSecret: b64(randomBytes(32)) });
    expect((await call(server, 'POST', '/v1/devices/link', { body: body(code) })).status).toBe(201);
    const again = await call(server, 'POST', '/v1/devices/link', { body: body(code) });
    expect([again.status, again.body.error.code]).toEqual([403, 'INVALID_PROVISIONING_CODE']);
    const unknown = await call(server, 'POST', '/v1/devices/link', { body: body(Buffer.from(randomBytes(16)).toString('base64url')) });
    expect(unknown.status).toBe(403);
    const garbage = await call(server, 'POST', '/v1/devices/link', { body: body('12345') });
    expect(garbage.status).toBe(403);

    const second = await call(server, 'GET', '/v1/devices', { auth: carol.auth });
    expect(second.body.devices).toHaveLength(3);
    const linkedAuth = (await linkDeviceCapped()).auth;
    const fromLinked = await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: linkedAuth });
    expect([fromLinked.status, fromLinked.body.error.code]).toEqual([403, 'FORBIDDEN']);

    async function linkDeviceCapped() {
      // The account is at its cap (3): linking fails with 409 and the code survives for a retry.
      const c = (await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: carol.auth })).body.code as string;
      const capped = await call(server, 'POST', '/v1/devices/link', { body: body(c) });
      expect([capped.status, capped.body.error.code]).toEqual([409, 'DEVICE_LIMIT']);
      expect(await call(server, 'DELETE', '/v1/devices/3', { auth: carol.auth })).toMatchObject({ status: 204 });
      const secret = randomBytes(32);
      const retry = await call(server, 'POST', '/v1/devices/link', { body: { ...body(c), deviceSecret: b64(secret) } });
      expect(retry.status).toBe(201);
      // Device ids are never reused (issue 11 item 2): the removed device's 3 stays retired.
      expect(retry.body.deviceId).toBe(4);
      return { auth: basicAuthHeader(carol.accountId, 4, secret) };
    }
  });

  it('expires provisioning codes', async () => {
    let now = Date.now();
    const s = await startServer({ now: () => now, settings: { provisioningCodeTtlMs: 1000 } });
    try {
      const a = await createAccount(s);
      const code = (await call(s, 'POST', '/v1/devices/provisioning-codes', { auth: a.auth })).body.code;
      now += 1001;
      const res = await call(s, 'POST', '/v1/devices/link', { body: { provisioningCode: code, registrationId: 5, deviceSecret: b64(randomBytes(32)) } });
      expect([res.status, res.body.error.code]).toEqual([403, 'INVALID_PROVISIONING_CODE']);
    } finally {
      await s.close();
    }
  });

  it('removes a device with its keys; it can no longer authenticate', async () => {
    const dave = await createAccount(server);
    const linked = await linkDevice(server, dave);
    await call(server, 'PUT', '/v1/keys', { auth: linked.auth, body: { preKeys: [{ keyId: 1, publicKey: b64(ecPublicKey()) }] } });
    const keyRows = async () =>
      (await server.sql.count('SELECT COUNT(*) FROM one_time_prekeys WHERE account_id = ? AND device_id = ?', [dave.accountId, 2])) +
      (await server.sql.count('SELECT COUNT(*) FROM signed_prekeys WHERE account_id = ? AND device_id = ?', [dave.accountId, 2]));
    expect(await keyRows()).toBe(3);
    const materialRows = () => server.sql.keyMaterialRows();
    const materialBefore = await materialRows();
    // A linked device may remove itself, not others; nobody removes the primary.
    expect((await call(server, 'DELETE', '/v1/devices/1', { auth: linked.auth })).body.error.code).toBe('FORBIDDEN');
    expect((await call(server, 'DELETE', '/v1/devices/1', { auth: dave.auth })).body.error.code).toBe('FORBIDDEN');
    expect((await call(server, 'DELETE', '/v1/devices/2', { auth: linked.auth })).status).toBe(204);
    expect(await keyRows()).toBe(0);
    expect(await materialRows()).toBe(materialBefore - 1);
    expect((await call(server, 'GET', '/v1/accounts/whoami', { auth: linked.auth })).status).toBe(401);
    expect((await call(server, 'DELETE', '/v1/devices/2', { auth: dave.auth })).body.error.code).toBe('UNKNOWN_DEVICE');
  });
});

describe('cross-account tampering', () => {
  it('cannot change another account through any route', async () => {
    const victim = await createAccount(server);
    await linkDevice(server, victim);
    await call(server, 'PUT', '/v1/keys', { auth: victim.auth, body: { preKeys: [{ keyId: 1, publicKey: b64(ecPublicKey()) }] } });
    const attacker = await createAccount(server);
    const victimRows = async () =>
      JSON.stringify(
        await Promise.all(['devices', 'signed_prekeys', 'one_time_prekeys'].map((t) => server.sql.rows(`SELECT * FROM ${t} WHERE account_id = ? ORDER BY 1, 2, 3`, [victim.accountId]))),
      );
    const before = await victimRows();

    // Keys signed by the victim's identity, uploaded with the attacker's credentials: checked against the attacker's identity.
    const forged = await call(server, 'PUT', '/v1/keys', {
      auth: attacker.auth,
      body: { signedPreKey: signedKey(victim.identity, 99, ecPublicKey()), pqLastResortPreKey: signedKey(victim.identity, 98, kyberPublicKey()) },
    });
    expect([forged.status, forged.body.error.code]).toEqual([422, 'INVALID_SIGNATURE']);
    // Deleting "device 2" acts on the attacker's own account (which has none).
    expect((await call(server, 'DELETE', '/v1/devices/2', { auth: attacker.auth })).body.error.code).toBe('UNKNOWN_DEVICE');
    // Basic user naming the victim with the attacker's secret.
    const spoof = basicAuthHeader(victim.accountId, 1, attacker.secret);
    expect((await call(server, 'PUT', '/v1/keys', { auth: spoof, body: { preKeys: [{ keyId: 7, publicKey: b64(ecPublicKey()) }] } })).status).toBe(401);
    expect((await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: spoof })).status).toBe(401);
    // Body fields naming another account are not accepted at all.
    const extra = await call(server, 'PUT', '/v1/keys', { auth: attacker.auth, body: { accountId: victim.accountId, preKeys: [{ keyId: 7, publicKey: b64(ecPublicKey()) }] } });
    expect(extra.status).toBe(400);
    // The attacker's provisioning code links to the attacker's account, never the victim's.
    const linked = await linkDevice(server, attacker, false);
    expect(linked.accountId).toBe(attacker.accountId);

    expect(await victimRows()).toBe(before);
  });
});
