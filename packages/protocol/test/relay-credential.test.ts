/**
 * Relay credentials (src/relay-credential.ts). The forgery cases are the key
 * server's (services/keyserver/test/credentials.test.ts), moved with the
 * format; the byte-format checks pin the token to what the key server issued
 * before the move (node:crypto Ed25519, Buffer base64url).
 */
import { describe, expect, it } from 'vitest';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import {
  InvalidKeyError,
  RELAY_CREDENTIAL_CONTEXT,
  formatRelayCredentialPayload,
  generateRelayCredentialKeyPair,
  relayCredentialSignedBytes,
  relayCredentialVerifier,
  signRelayCredential,
  verifyRelayCredential,
} from '../src/index.ts';

const relayKey = generateRelayCredentialKeyPair();
const now = 1_800_000_000_000;
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

describe('relay credentials', () => {
  it('rejects forged, altered, malformed and foreign-key tokens', () => {
    const c = { accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f', deviceId: 3, expiresAt: now + 1000 };
    const token = signRelayCredential(c, relayKey.privateKey);
    expect(verifyRelayCredential(token, relayKey.publicKey, now)).toEqual(c);
    const [v, payload, sig] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(`${c.accountId}:4:${c.expiresAt}`).toString('base64url');
    const later = Buffer.from(`${c.accountId}:3:${c.expiresAt + 10_000_000}`).toString('base64url');
    const flipped = Buffer.from(sig, 'base64url');
    flipped[5] = flipped[5]! ^ 1;
    const bad = [
      `${v}.${otherPayload}.${sig}`, // another device
      `${v}.${later}.${sig}`, // extended expiry
      `${v}.${payload}.${flipped.toString('base64url')}`,
      `v2.${payload}.${sig}`,
      `${v}.${payload}`,
      `${v}.${payload}.${sig}.x`,
      `${v}.${payload}=.${sig}`,
      '',
      'garbage',
      signRelayCredential(c, generateRelayCredentialKeyPair().privateKey), // someone else's key
    ];
    for (const t of bad) expect(verifyRelayCredential(t, relayKey.publicKey, now), t).toBeUndefined();
    expect(() => signRelayCredential({ ...c, deviceId: 0 }, relayKey.privateKey)).toThrow();
    expect(() => signRelayCredential({ ...c, accountId: 'ABC' }, relayKey.privateKey)).toThrow();
  });

  it('is valid strictly before expiresAt, through the verifier too', () => {
    const c = { accountId: '00000000-0000-4000-8000-000000000001', deviceId: 127, expiresAt: now + 600_000 };
    const token = signRelayCredential(c, relayKey.privateKey);
    const verify = relayCredentialVerifier(relayKey.publicKey);
    expect(verify(token, now + 599_999)).toEqual(c);
    expect(verify(token, now + 600_000)).toBeUndefined();
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('the verifier remembers verified tokens only: expiry still applies, forgeries are never cached', () => {
    const c = { accountId: '00000000-0000-4000-8000-000000000002', deviceId: 2, expiresAt: now + 10 };
    const token = signRelayCredential(c, relayKey.privateKey);
    const [v, payload, sig] = token.split('.') as [string, string, string];
    const forged = `${v}.${payload}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    for (const cacheSize of [undefined, 1, 0]) {
      const verify = relayCredentialVerifier(relayKey.publicKey, cacheSize === undefined ? {} : { cacheSize });
      for (let i = 0; i < 3; i++) {
        expect(verify(token, now)).toEqual(c);
        expect(verify(forged, now)).toBeUndefined();
      }
      const returned = verify(token, now)!;
      returned.deviceId = 99; // callers cannot poison the cache
      expect(verify(token, now + 9)).toEqual(c);
      expect(verify(token, now + 10)).toBeUndefined();
      expect(verify(token, now)).toEqual(c); // a clock that goes back re-verifies
    }
    // With room for one token, a second one evicts the first and both still verify.
    const other = signRelayCredential({ ...c, deviceId: 3 }, relayKey.privateKey);
    const small = relayCredentialVerifier(relayKey.publicKey, { cacheSize: 1 });
    expect(small(token, now)?.deviceId).toBe(2);
    expect(small(other, now)?.deviceId).toBe(3);
    expect(small(token, now)?.deviceId).toBe(2);
  });

  it('keeps the byte format: node:crypto Ed25519 over context ‖ payload, base64url', () => {
    const seed = new Uint8Array(32).map((_, i) => i + 1);
    const pair = generateRelayCredentialKeyPair(seed);
    const c = { accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f', deviceId: 12, expiresAt: 1_700_000_123_456 };
    const payload = formatRelayCredentialPayload(c);
    expect(payload).toBe('9d0652a3-dcc3-4d11-975f-74d61598733f:12:1700000123456');
    expect(Buffer.from(relayCredentialSignedBytes(payload)).toString('utf8')).toBe(RELAY_CREDENTIAL_CONTEXT + payload);
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const nodeSignature = nodeSign(null, Buffer.from(RELAY_CREDENTIAL_CONTEXT + payload, 'utf8'), privateKey);
    const expected = `v1.${Buffer.from(payload, 'utf8').toString('base64url')}.${nodeSignature.toString('base64url')}`;
    expect(signRelayCredential(c, pair.privateKey)).toBe(expected);
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, pair.publicKey]), format: 'der', type: 'spki' });
    expect(nodeVerify(null, Buffer.from(RELAY_CREDENTIAL_CONTEXT + payload), publicKey, nodeSignature)).toBe(true);
    expect(verifyRelayCredential(expected, pair.publicKey, c.expiresAt - 1)).toEqual(c);
  });

  it('refuses non-canonical base64url and wrong-length keys', () => {
    const c = { accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f', deviceId: 1, expiresAt: now + 1000 };
    const token = signRelayCredential(c, relayKey.privateKey);
    const [v, payload, sig] = token.split('.') as [string, string, string];
    // The signature is 64 bytes = 86 base64url characters, the last carrying 2 unused bits.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(verifyRelayCredential(`${v}.${payload}.${sig.slice(0, -1)}${sibling}`, relayKey.publicKey, now)).toBeUndefined();
    expect(() => verifyRelayCredential(token, new Uint8Array(31), now)).toThrow(InvalidKeyError);
    expect(() => relayCredentialVerifier(new Uint8Array(33))).toThrow(InvalidKeyError);
    expect(() => signRelayCredential(c, new Uint8Array(31))).toThrow(InvalidKeyError);
  });
});
