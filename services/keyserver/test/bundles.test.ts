import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xeddsaVerify } from '@sealpost/protocol/primitives';
import { b64, call, createAccount, ecPublicKey, kyberPublicKey, linkDevice, signedKey, startServer, type RunningServer } from './support.ts';

describe('1,000 concurrent bundle fetches against 100 one-time prekeys', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ settings: { bundleRateLimit: false } });
  });
  afterAll(async () => server.close());

  it('hands out each one-time key exactly once; the rest get the last-resort key', async () => {
    const target = await createAccount(server);
    const ecKeys = Array.from({ length: 100 }, (_, i) => ({ keyId: 1000 + i, publicKey: b64(ecPublicKey()) }));
    // Distinct Kyber keys so that "distinct" is checked on key material too, not only ids.
    const pqKeys = Array.from({ length: 100 }, (_, i) => signedKey(target.identity, 5000 + i, kyberPublicKey(true)));
    expect((await call(server, 'PUT', '/v1/keys', { auth: target.auth, body: { preKeys: ecKeys, pqPreKeys: pqKeys } })).body).toEqual({
      count: 100,
      pqCount: 100,
    });
    const requesters = await Promise.all(Array.from({ length: 4 }, () => createAccount(server)));

    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => call(server, 'GET', `/v1/keys/${target.accountId}/1`, { auth: requesters[i % 4]!.auth })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const devices = responses.map((r) => r.body.devices[0]);

    const ecHandedOut = devices.filter((d) => d.preKey !== undefined).map((d) => `${d.preKey.keyId}:${d.preKey.publicKey}`);
    expect(ecHandedOut).toHaveLength(100);
    expect(new Set(ecHandedOut)).toEqual(new Set(ecKeys.map((k) => `${k.keyId}:${k.publicKey}`)));

    const pqOneTime = devices.filter((d) => !d.pqPreKeyIsLastResort);
    expect(pqOneTime).toHaveLength(100);
    expect(new Set(pqOneTime.map((d) => `${d.pqPreKey.keyId}:${d.pqPreKey.publicKey}`))).toEqual(new Set(pqKeys.map((k) => `${k.keyId}:${k.publicKey}`)));

    const lastResort = devices.filter((d) => d.pqPreKeyIsLastResort);
    expect(lastResort).toHaveLength(900);
    expect(new Set(lastResort.map((d) => d.pqPreKey.keyId))).toEqual(new Set([2]));
    expect(devices.filter((d) => d.preKey === undefined)).toHaveLength(900);

    // Every served key verifies against the identity key in the bundle.
    const identity = Buffer.from(responses[0]!.body.identityKey, 'base64').subarray(1);
    for (const d of [devices[0], lastResort[0]]) {
      expect(xeddsaVerify(identity, Buffer.from(d.signedPreKey.publicKey, 'base64'), Buffer.from(d.signedPreKey.signature, 'base64'))).toBe(true);
      expect(xeddsaVerify(identity, Buffer.from(d.pqPreKey.publicKey, 'base64'), Buffer.from(d.pqPreKey.signature, 'base64'))).toBe(true);
    }
    expect((await call(server, 'GET', '/v1/keys/count', { auth: target.auth })).body).toEqual({ count: 0, pqCount: 0 });
    // Handed-out key material is deleted (in batches; flush the last one).
    server.sql.flushConsumed();
    expect(await server.sql.keyMaterialRows()).toBe(0);
  });
});

describe('bundle fetches', () => {
  let server: RunningServer;
  let now = 1_800_000_000_000;
  beforeAll(async () => {
    server = await startServer({ now: () => now, settings: { bundleRateLimit: { burst: 3, refillMs: 5 * 60_000 } } });
  });
  afterAll(async () => server.close());

  it("serves all of an account's devices with '*', one one-time key each", async () => {
    const target = await createAccount(server);
    const second = await linkDevice(server, target);
    await linkDevice(server, target, false); // no signed keys yet: left out of bundles
    await call(server, 'PUT', '/v1/keys', { auth: second.auth, body: { preKeys: [1, 2].map((keyId) => ({ keyId, publicKey: b64(ecPublicKey()) })) } });
    const me = await createAccount(server);
    const res = await call(server, 'GET', `/v1/keys/${target.accountId}/*`, { auth: me.auth });
    expect(res.status).toBe(200);
    expect(res.body.identityKey).toBe(b64(target.identity.publicKey));
    expect(res.body.devices.map((d: any) => [d.deviceId, d.registrationId, d.preKey?.keyId, d.pqPreKey.keyId, d.pqPreKeyIsLastResort])).toEqual([
      [1, expect.any(Number), undefined, 2, true],
      [2, 4242, 1, 12, true],
    ]);
    // The exact JSON shape (the route writes this text by hand).
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const signed = { keyId: expect.any(Number), publicKey: expect.stringMatching(/^[A-Za-z0-9+/]+={0,2}$/), signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) };
    expect(res.body).toEqual({
      identityKey: b64(target.identity.publicKey),
      devices: [
        { deviceId: 1, registrationId: expect.any(Number), signedPreKey: signed, pqPreKey: signed, pqPreKeyIsLastResort: true },
        { deviceId: 2, registrationId: 4242, signedPreKey: signed, preKey: { keyId: 1, publicKey: expect.stringMatching(/^[A-Za-z0-9+/]{44}$/) }, pqPreKey: signed, pqPreKeyIsLastResort: true },
      ],
    });
    expect(Buffer.from(res.body.devices[0].pqPreKey.publicKey, 'base64')).toHaveLength(1569);
    expect((await call(server, 'GET', '/v1/keys/count', { auth: second.auth })).body).toEqual({ count: 1, pqCount: 0 });
    const third = await call(server, 'GET', `/v1/keys/${target.accountId}/3`, { auth: me.auth });
    expect([third.status, third.body.error.code]).toEqual([404, 'NO_PREKEYS']);
  });

  it('404s unknown accounts and devices, 400s malformed targets', async () => {
    const me = await createAccount(server);
    const target = await createAccount(server);
    const cases: [string, number, string][] = [
      ['/v1/keys/00000000-0000-4000-8000-000000000000/1', 404, 'UNKNOWN_ACCOUNT'],
      [`/v1/keys/${target.accountId}/9`, 404, 'UNKNOWN_DEVICE'],
      [`/v1/keys/${target.accountId}/0`, 400, 'INVALID_REQUEST'],
      [`/v1/keys/${target.accountId}/abc`, 400, 'INVALID_REQUEST'],
      [`/v1/keys/NOT-A-UUID/1`, 400, 'INVALID_REQUEST'],
    ];
    for (const [path, status, code] of cases) {
      const res = await call(server, 'GET', path, { auth: me.auth });
      expect([path, res.status, res.body.error.code]).toEqual([path, status, code]);
    }
  });

  it('rate limits per requester and target with 429 and Retry-After, then refills', async () => {
    const target = await createAccount(server);
    await call(server, 'PUT', '/v1/keys', { auth: target.auth, body: { preKeys: Array.from({ length: 10 }, (_, i) => ({ keyId: i, publicKey: b64(ecPublicKey()) })) } });
    const greedy = await createAccount(server);
    const other = await createAccount(server);
    const fetchAs = (who: { auth: string }) => call(server, 'GET', `/v1/keys/${target.accountId}/1`, { auth: who.auth });
    for (let i = 0; i < 3; i++) expect((await fetchAs(greedy)).status).toBe(200);
    const limited = await fetchAs(greedy);
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(limited.headers.get('retry-after')).toBe('300');
    // The refused fetch consumed nothing.
    expect((await call(server, 'GET', '/v1/keys/count', { auth: target.auth })).body.count).toBe(7);
    // Another requester has its own bucket.
    expect((await fetchAs(other)).status).toBe(200);
    now += 120_000;
    expect((await fetchAs(greedy)).headers.get('retry-after')).toBe('180');
    now += 180_000;
    expect((await fetchAs(greedy)).status).toBe(200);
    expect((await fetchAs(greedy)).status).toBe(429);
  });
});
