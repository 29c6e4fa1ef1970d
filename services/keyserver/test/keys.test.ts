import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, xeddsaSign } from '@sealpost/protocol/primitives';
import { longTermKeyDigest } from '../src/index.ts';
import { b64, call, createAccount, ecPublicKey, kyberPublicKey, signedKey, startServer, type DeviceLogin, type RunningServer } from './support.ts';

let server: RunningServer;
let now = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

beforeAll(async () => {
  server = await startServer({ now: () => now, settings: { maxOneTimeKeysPerDevice: 150, staleKeyAgeMs: 7 * DAY, replacedKeyGraceMs: 30 * DAY } });
});
afterAll(async () => server.close());

describe('key upload and counts', () => {
  it('stores EC and signed Kyber one-time keys and counts them', async () => {
    const a = await createAccount(server);
    const preKeys = Array.from({ length: 100 }, (_, i) => ({ keyId: i + 1, publicKey: b64(ecPublicKey()) }));
    const pqPreKeys = Array.from({ length: 40 }, (_, i) => signedKey(a.identity, 1000 + i, kyberPublicKey()));
    const res = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body: { preKeys, pqPreKeys } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ count: 100, pqCount: 40 });
    expect((await call(server, 'GET', '/v1/keys/count', { auth: a.auth })).body).toEqual({ count: 100, pqCount: 40 });
    // Over the per-device cap (150): refused whole.
    const more = Array.from({ length: 60 }, (_, i) => ({ keyId: 500 + i, publicKey: b64(ecPublicKey()) }));
    const capped = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body: { preKeys: more } });
    expect([capped.status, capped.body.error.code]).toEqual([409, 'TOO_MANY_KEYS']);
    expect((await call(server, 'GET', '/v1/keys/count', { auth: a.auth })).body).toEqual({ count: 100, pqCount: 40 });
  });

  it('rejects bad uploads with a clear 4xx and leaves the database unchanged', async () => {
    const a = await createAccount(server);
    await call(server, 'PUT', '/v1/keys', { auth: a.auth, body: { preKeys: [{ keyId: 1, publicKey: b64(ecPublicKey()) }] } });
    const other = await createAccount(server);
    const ec = b64(ecPublicKey());
    const goodKyber = signedKey(a.identity, 77, kyberPublicKey());
    const tampered = kyberPublicKey().slice();
    tampered[100] = tampered[100]! ^ 1;
    const cases: [string, unknown, number, string][] = [
      ['bad base64', { preKeys: [{ keyId: 2, publicKey: 'BQ@@' + ec.slice(4) }] }, 400, 'BAD_BASE64'],
      ['non-canonical base64', { preKeys: [{ keyId: 2, publicKey: ec.slice(0, -2) + 'B=' }] }, 400, 'BAD_BASE64'],
      ['short EC key', { preKeys: [{ keyId: 2, publicKey: b64(ecPublicKey().subarray(0, 32)) }] }, 400, 'BAD_LENGTH'],
      ['EC key without type byte', { preKeys: [{ keyId: 2, publicKey: b64(Uint8Array.of(0x00, ...ecPublicKey().subarray(1))) }] }, 400, 'BAD_KEY_TYPE'],
      ['Kyber key too short', { pqLastResortPreKey: { ...goodKyber, publicKey: b64(kyberPublicKey().subarray(0, 1000)) } }, 400, 'BAD_LENGTH'],
      ['Kyber key with EC type', { pqLastResortPreKey: signedKey(a.identity, 3, Uint8Array.of(0x05, ...kyberPublicKey().subarray(1))) }, 400, 'BAD_KEY_TYPE'],
      ['EC key as signed Kyber', { pqLastResortPreKey: signedKey(a.identity, 3, ecPublicKey()) }, 400, 'BAD_LENGTH'],
      ['short signature', { signedPreKey: { ...signedKey(a.identity, 3, ecPublicKey()), signature: b64(new Uint8Array(63)) } }, 400, 'BAD_LENGTH'],
      ['signature by another identity', { signedPreKey: signedKey(other.identity, 3, ecPublicKey()) }, 422, 'INVALID_SIGNATURE'],
      ['signature over other bytes', { pqLastResortPreKey: { ...goodKyber, publicKey: b64(tampered) } }, 422, 'INVALID_SIGNATURE'],
      ['one bad Kyber signature among good', { pqPreKeys: [goodKyber, signedKey(other.identity, 78, kyberPublicKey())] }, 422, 'INVALID_SIGNATURE'],
      ['keyId as string', { preKeys: [{ keyId: '2', publicKey: ec }] }, 400, 'INVALID_REQUEST'],
      ['negative keyId', { preKeys: [{ keyId: -1, publicKey: ec }] }, 400, 'INVALID_REQUEST'],
      ['keyId over u32', { preKeys: [{ keyId: 2 ** 32, publicKey: ec }] }, 400, 'INVALID_REQUEST'],
      ['publicKey as number', { preKeys: [{ keyId: 2, publicKey: 5 }] }, 400, 'INVALID_REQUEST'],
      ['preKeys not an array', { preKeys: { keyId: 2, publicKey: ec } }, 400, 'INVALID_REQUEST'],
      ['unknown field', { preKeys: [], bogus: true }, 400, 'INVALID_REQUEST'],
      ['empty upload', {}, 400, 'EMPTY_UPLOAD'],
      ['101 EC keys', { preKeys: Array.from({ length: 101 }, (_, i) => ({ keyId: i + 10, publicKey: ec })) }, 400, 'INVALID_REQUEST'],
      ['101 Kyber keys', { pqPreKeys: Array.from({ length: 101 }, (_, i) => ({ ...goodKyber, keyId: i + 10 })) }, 400, 'INVALID_REQUEST'],
      ['repeated id in request', { preKeys: [{ keyId: 5, publicKey: ec }, { keyId: 5, publicKey: b64(ecPublicKey()) }] }, 400, 'DUPLICATE_KEY_ID'],
      ['id already stored', { preKeys: [{ keyId: 9, publicKey: ec }, { keyId: 1, publicKey: ec }] }, 409, 'DUPLICATE_KEY_ID'],
      ['oversized string', { preKeys: [{ keyId: 2, publicKey: 'A'.repeat(5000) }] }, 400, 'INVALID_REQUEST'],
    ];
    const before = await server.sql.dump();
    for (const [name, body, status, code] of cases) {
      const res = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body });
      expect([name, res.status, res.body?.error?.code], JSON.stringify(res.body)).toEqual([name, status, code]);
      expect(typeof res.body.error.message).toBe('string');
      expect(await server.sql.dump(), name).toBe(before);
    }
    // Transport-level failures: invalid JSON, wrong content type, a body over the limit.
    const raw: [string, { rawBody: string; headers?: Record<string, string> }, number, string][] = [
      ['invalid JSON', { rawBody: '{"preKeys": [' }, 400, 'INVALID_JSON'],
      ['JSON array', { rawBody: '[]' }, 400, 'INVALID_REQUEST'],
      ['text body', { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['huge body', { rawBody: JSON.stringify({ preKeys: [{ keyId: 1, publicKey: 'A'.repeat(600 * 1024) }] }) }, 413, 'BODY_TOO_LARGE'],
    ];
    for (const [name, opts, status, code] of raw) {
      const res = await call(server, 'PUT', '/v1/keys', { auth: a.auth, ...opts });
      expect([name, res.status, res.body?.error?.code]).toEqual([name, status, code]);
    }
    expect(await server.sql.dump()).toBe(before);
  });
});

describe('rotation and consistency check', () => {
  let a: DeviceLogin;
  beforeAll(async () => {
    a = await createAccount(server); // signed prekey id 1, last resort id 2, created at `now`
  });

  it('records creation times, keeps replaced keys for the grace period and reports staleness', async () => {
    now += 8 * DAY;
    let r = (await call(server, 'GET', '/v1/keys/rotation', { auth: a.auth })).body;
    expect(r.rotationDue).toEqual({ signedPreKey: true, pqLastResortPreKey: true });
    const rows = r.keys.map((k: any) => [k.kind, k.keyId, k.current, k.ageMs, k.stale]);
    expect(rows.sort((x: any, y: any) => x[1] - y[1])).toEqual([
      ['signedPreKey', 1, true, 8 * DAY, true],
      ['pqLastResortPreKey', 2, true, 8 * DAY, true],
    ]);

    const rotatedAt = now;
    const oldKey = r.keys.find((k: any) => k.keyId === 1);
    const newKey = signedKey(a.identity, 3, ecPublicKey());
    const res = await call(server, 'PUT', '/v1/keys', { auth: a.auth, body: { signedPreKey: newKey } });
    expect(res.status).toBe(200);
    r = (await call(server, 'GET', '/v1/keys/rotation', { auth: a.auth })).body;
    expect(r.rotationDue).toEqual({ signedPreKey: false, pqLastResortPreKey: true });
    const old = r.keys.find((k: any) => k.keyId === 1);
    expect(old).toMatchObject({ kind: 'signedPreKey', current: false, replacedAt: rotatedAt, discardAt: rotatedAt + 30 * DAY });
    // The replaced key itself stays fetchable (by its device) during the grace period.
    expect([old.publicKey, old.signature]).toEqual([oldKey.publicKey, oldKey.signature]);
    expect(r.keys.find((k: any) => k.keyId === 3)).toMatchObject({ current: true, ageMs: 0, stale: false, publicKey: newKey.publicKey });

    // Bundles serve only the current signed prekey.
    const peer = await createAccount(server);
    const bundle = await call(server, 'GET', `/v1/keys/${a.accountId}/1`, { auth: peer.auth });
    expect(bundle.status, JSON.stringify(bundle.body)).toBe(200);
    expect(bundle.body.devices[0].signedPreKey.keyId).toBe(3);

    // After the grace period the replaced key is gone (from the answer, and from storage on prune).
    now += 31 * DAY;
    r = (await call(server, 'GET', '/v1/keys/rotation', { auth: a.auth })).body;
    expect(r.keys.some((k: any) => k.keyId === 1)).toBe(false);
    await server.store.prune(now - 30 * DAY, now);
    expect((await server.store.signedKeyHistory(a.accountId, 1)).map((k) => k.keyId).sort()).toEqual([2, 3]);
  });

  it('re-uploading the current key unchanged is not a rotation', async () => {
    const b = await createAccount(server);
    const key = signedKey(b.identity, 50, ecPublicKey());
    await call(server, 'PUT', '/v1/keys', { auth: b.auth, body: { signedPreKey: key } });
    await call(server, 'PUT', '/v1/keys', { auth: b.auth, body: { signedPreKey: key } });
    expect((await server.store.signedKeyHistory(b.accountId, 1)).filter((k) => k.kind === 'ec').map((k) => [k.keyId, k.replacedAt])).toEqual([
      [50, undefined],
      [1, now],
    ]);
  });

  it('matches the digest of the keys the device uploaded, and detects a swapped key', async () => {
    const c = await createAccount(server, { bare: true });
    const none = await call(server, 'POST', '/v1/keys/check', { auth: c.auth, body: { digest: b64(new Uint8Array(32)) } });
    expect(none.body).toEqual({ match: false, serverDigest: null });

    const spk = ecPublicKey();
    const lr = kyberPublicKey(true);
    await call(server, 'PUT', '/v1/keys', { auth: c.auth, body: { signedPreKey: signedKey(c.identity, 0x01020304, spk), pqLastResortPreKey: signedKey(c.identity, 9, lr) } });
    // The digest per the README, computed independently of key-digest.ts.
    const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };
    const mine = sha256(Buffer.concat([c.identity.publicKey, u64(0x01020304), spk, u64(9), lr]));
    expect(longTermKeyDigest({ identityKey: c.identity.publicKey, signedPreKeyId: 0x01020304, signedPreKey: spk, lastResortKeyId: 9, lastResortKey: lr })).toEqual(mine);
    const ok = await call(server, 'POST', '/v1/keys/check', { auth: c.auth, body: { digest: b64(mine) } });
    expect(ok.body).toEqual({ match: true, serverDigest: b64(mine) });

    // A malicious insider swaps the signed prekey in the database: the device notices.
    const evil = ecPublicKey();
    await server.sql.run("UPDATE signed_prekeys SET public_key = ?, signature = ? WHERE account_id = ? AND kind = 'ec' AND replaced_at IS NULL", [
      evil,
      xeddsaSign(c.identity.privateKey, evil),
      c.accountId,
    ]);
    const bad = await call(server, 'POST', '/v1/keys/check', { auth: c.auth, body: { digest: b64(mine) } });
    expect(bad.body.match).toBe(false);
    expect(bad.body.serverDigest).not.toBe(b64(mine));

    const malformed = await call(server, 'POST', '/v1/keys/check', { auth: c.auth, body: { digest: '!'.repeat(44) } });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'BAD_BASE64']);
  });
});
