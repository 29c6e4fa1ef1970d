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
    const c = { accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f', deviceId: 3, registrationId: 4242, expiresAt: now + 1000, audience: 'https://relay.example' };
    const token = signRelayCredential(c, relayKey.privateKey);
    expect(verifyRelayCredential(token, relayKey.publicKey, now)).toEqual(c);
    const [v, payload, sig] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(`${c.accountId}:4:4242:${c.expiresAt}:${c.audience}`).toString('base64url');
    const later = Buffer.from(`${c.accountId}:3:4242:${c.expiresAt + 10_000_000}:${c.audience}`).toString('base64url');
    const otherRegistration = Buffer.from(`${c.accountId}:3:4243:${c.expiresAt}:${c.audience}`).toString('base64url');
    const otherAudience = Buffer.from(`${c.accountId}:3:4242:${c.expiresAt}:https://other.example`).toString('base64url');
    const flipped = Buffer.from(sig, 'base64url');
    flipped[5] = flipped[5]! ^ 1;
    const bad = [
      `${v}.${otherPayload}.${sig}`, // another device
      `${v}.${later}.${sig}`, // extended expiry
      `${v}.${otherRegistration}.${sig}`, // another incarnation of the device
      `${v}.${otherAudience}.${sig}`, // another relay
      `${v}.${payload}.${flipped.toString('base64url')}`,
      `v1.${payload}.${sig}`,
      `v3.${payload}.${sig}`,
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
    expect(() => signRelayCredential({ ...c, registrationId: 0 }, relayKey.privateKey)).toThrow();
    expect(() => signRelayCredential({ ...c, registrationId: 0x4000 }, relayKey.privateKey)).toThrow();
    for (const audience of ['', 'has space', 'x'.repeat(256), 'caf\u00e9']) {
      expect(() => signRelayCredential({ ...c, audience }, relayKey.privateKey), audience).toThrow();
    }
    // The longest audience still makes a token the verifier accepts.
    const long = { ...c, registrationId: 16383, audience: 'h'.repeat(255) };
    expect(verifyRelayCredential(signRelayCredential(long, relayKey.privateKey), relayKey.publicKey, now)).toEqual(long);
  });

  it('refuses v1 tokens (no registration id, no audience) even when correctly signed', () => {
    const payload = `9d0652a3-dcc3-4d11-975f-74d61598733f:3:${now + 1000}`;
    const seed = new Uint8Array(32).fill(9);
    const pair = generateRelayCredentialKeyPair(seed);
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const sig = nodeSign(null, Buffer.from('sealpost-relay-credential-v1\n' + payload, 'utf8'), privateKey);
    const v1 = `v1.${Buffer.from(payload).toString('base64url')}.${sig.toString('base64url')}`;
    expect(verifyRelayCredential(v1, pair.publicKey, now)).toBeUndefined();
  });

  it('is valid strictly before expiresAt, through the verifier too', () => {
    const c = { accountId: '00000000-0000-4000-8000-000000000001', deviceId: 127, registrationId: 1, expiresAt: now + 600_000, audience: 'https://relay.example' };
    const token = signRelayCredential(c, relayKey.privateKey);
    const verify = relayCredentialVerifier(relayKey.publicKey);
    expect(verify(token, now + 599_999)).toEqual(c);
    expect(verify(token, now + 600_000)).toBeUndefined();
    expect(token).toMatch(/^v2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('the verifier remembers verified tokens only: expiry still applies, forgeries are never cached', () => {
    const c = { accountId: '00000000-0000-4000-8000-000000000002', deviceId: 2, registrationId: 77, expiresAt: now + 10, audience: 'https://relay.example' };
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
    const c = { accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f', deviceId: 12, registrationId: 9001, expiresAt: 1_700_000_123_456, audience: 'http://127.0.0.1:8081' };
    const payload = formatRelayCredentialPayload(c);
    expect(payload).toBe('9d0652a3-dcc3-4d11-975f-74d61598733f:12:9001:1700000123456:http://127.0.0.1:8081');
    expect(Buffer.from(relayCredentialSignedBytes(payload)).toString('utf8')).toBe(RELAY_CREDENTIAL_CONTEXT + payload);
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const nodeSignature = nodeSign(null, Buffer.from(RELAY_CREDENTIAL_CONTEXT + payload, 'utf8'), privateKey);
    const expected = `v2.${Buffer.from(payload, 'utf8').toString('base64url')}.${nodeSignature.toString('base64url')}`;
    expect(signRelayCredential(c, pair.privateKey)).toBe(expected);
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, pair.publicKey]), format: 'der', type: 'spki' });
    expect(nodeVerify(null, Buffer.from(RELAY_CREDENTIAL_CONTEXT + payload), publicKey, nodeSignature)).toBe(true);
    expect(verifyRelayCredential(expected, pair.publicKey, c.expiresAt - 1)).toEqual(c);
  });

  it('refuses non-canonical base64url and wrong-length keys', () => {
    const c = { accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f', deviceId: 1, registrationId: 5, expiresAt: now + 1000, audience: 'https://relay.example' };
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
