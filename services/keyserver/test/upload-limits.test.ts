/**
 * Issue 11.7 over real HTTP: an upload's cheap checks (repeats, ids already
 * stored, the per-device cap) run before any signature is verified, so a
 * replayed 100-Kyber-key upload costs no verification; uploads and
 * sender-certificate requests are rate limited per device (429 + Retry-After).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x25519GenerateKeyPair, xeddsaVerify } from '@sealpost/protocol/primitives';
import { createServerCertificate } from '@sealpost/protocol/sealed-sender';
import { b64, call, createAccount, ecPublicKey, kyberPublicKey, signedKey, startServer, type RunningServer } from './support.ts';

let verifications = 0;
const countingVerify = (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => {
  verifications++;
  return xeddsaVerify(pk, msg, sig);
};

describe('PUT /v1/keys: cheap checks before signatures', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ verifySignature: countingVerify, settings: { maxOneTimeKeysPerDevice: 150 } });
  });
  afterAll(async () => server.close());

  it('rejects a replayed upload (ids already stored) with 409 and no signature verification', async () => {
    const a = await createAccount(server);
    const pqPreKeys = Array.from({ length: 100 }, (_, i) => signedKey(a.identity, 3000 + i, kyberPublicKey()));
    const body = { pqPreKeys };
    verifications = 0;
    const first = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body });
    expect([first.status, first.body]).toEqual([200, { count: 0, pqCount: 100 }]);
    expect(verifications).toBe(100);

    verifications = 0;
    const replay = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body });
    expect([replay.status, replay.body.error.code]).toEqual([409, 'DUPLICATE_KEY_ID']);
    expect(verifications).toBe(0);
  });

  it('rejects repeats within an upload and uploads over the cap before verifying anything', async () => {
    const a = await createAccount(server);
    const repeated = Array.from({ length: 100 }, (_, i) => signedKey(a.identity, i === 99 ? 0 : i, kyberPublicKey()));
    verifications = 0;
    const dup = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body: { pqPreKeys: repeated } });
    expect([dup.status, dup.body.error.code]).toEqual([400, 'DUPLICATE_KEY_ID']);
    expect(verifications).toBe(0);

    const batch = (from: number) => Array.from({ length: 100 }, (_, i) => signedKey(a.identity, from + i, kyberPublicKey()));
    expect((await call(server, 'PUT', '/v1/keys', { auth: a.auth, body: { pqPreKeys: batch(0 + 1000) } })).status).toBe(200);
    verifications = 0;
    const over = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body: { pqPreKeys: batch(2000) } });
    expect([over.status, over.body.error.code]).toEqual([409, 'TOO_MANY_KEYS']);
    expect(verifications).toBe(0);

    // A bad signature is still found (after the cheap checks passed).
    const bad = signedKey(a.identity, 9999, kyberPublicKey());
    bad.signature = b64(new Uint8Array(64).fill(7));
    const refused = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body: { pqPreKeys: [bad] } });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'INVALID_SIGNATURE']);
  });
});

describe('per-device rate limits', () => {
  let server: RunningServer;
  let now = 1_800_000_000_000;
  const root = x25519GenerateKeyPair();
  const certKey = x25519GenerateKeyPair();
  const serverCert = createServerCertificate({ keyId: 1, serverPublicKey: certKey.publicKey, trustRootPrivateKey: root.privateKey });
  beforeAll(async () => {
    server = await startServer({
      now: () => now,
      senderCertificate: { certificate: serverCert.serialized, privateKey: certKey.privateKey },
      settings: { keyUploadRateLimit: { burst: 3, refillMs: 60_000 }, senderCertificateRateLimit: { burst: 2, refillMs: 30_000 } },
    });
  });
  afterAll(async () => server.close());

  it('limits key uploads per device with 429 and Retry-After, before the body is checked', async () => {
    const a = await createAccount(server);
    const b = await createAccount(server);
    const upload = (who: typeof a, keyId: number) => call(server, 'PUT', '/v1/keys', { auth: who.auth, body: { preKeys: [{ keyId, publicKey: b64(ecPublicKey()) }] } });
    for (let i = 0; i < 3; i++) expect((await upload(a, i)).status).toBe(200);
    const limited = await upload(a, 10);
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(limited.headers.get('retry-after')).toBe('60');
    // Refused before the body is looked at: even a malformed body gets the 429.
    const malformed = await call(server, 'PUT', '/v1/keys', { auth: a.auth, rawBody: '{"preKeys":' });
    expect(malformed.status).toBe(429);
    expect((await call(server, 'GET', '/v1/keys/count', { auth: a.auth })).body.count).toBe(3);
    // Another device has its own bucket.
    expect((await upload(b, 1)).status).toBe(200);
    now += 60_000;
    expect((await upload(a, 11)).status).toBe(200);
    expect((await upload(a, 12)).status).toBe(429);
  });

  it('limits sender-certificate requests per device with 429 and Retry-After', async () => {
    const a = await createAccount(server);
    for (let i = 0; i < 2; i++) expect((await call(server, 'GET', '/v1/certificate/sender', { auth: a.auth })).status).toBe(200);
    const limited = await call(server, 'GET', '/v1/certificate/sender', { auth: a.auth });
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(limited.headers.get('retry-after')).toBe('30');
    now += 30_000;
    expect((await call(server, 'GET', '/v1/certificate/sender', { auth: a.auth })).status).toBe(200);
  });
});
