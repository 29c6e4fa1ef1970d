import { describe, expect, it } from 'vitest';
import {
  generateRelayCredentialKeyPair,
  RELAY_CREDENTIAL_VERSION,
  signRelayCredential,
  signUploadCapability,
  verifyRelayCredential,
  verifyUploadCapability,
  isBlobKey,
} from '../src/index.ts';

const kp = generateRelayCredentialKeyPair(new Uint8Array(32).fill(7));
const cap = { blobKey: 'AbCdEfGhIjKlMnOpQrSt', maxLength: 1000, expiresAt: 2_000_000_000_000, subject: 'AAAAAAAAAAAAAAAAAAAAAA' };

describe('upload capabilities', () => {
  it('round-trips and is valid only before expiry', () => {
    const token = signUploadCapability(cap, kp.privateKey);
    expect(token.startsWith('u1.')).toBe(true);
    expect(verifyUploadCapability(token, kp.publicKey, cap.expiresAt - 1)).toEqual(cap);
    expect(verifyUploadCapability(token, kp.publicKey, cap.expiresAt)).toBeUndefined();
  });

  it('rejects forged, altered and malformed tokens', () => {
    const token = signUploadCapability(cap, kp.privateKey);
    const other = generateRelayCredentialKeyPair(new Uint8Array(32).fill(8));
    expect(verifyUploadCapability(token, other.publicKey, 0)).toBeUndefined();
    const [v, p, s] = token.split('.') as [string, string, string];
    const bigger = Buffer.from(Buffer.from(p, 'base64url').toString().replace(':1000:', ':9999:')).toString('base64url');
    expect(verifyUploadCapability(`${v}.${bigger}.${s}`, kp.publicKey, 0)).toBeUndefined();
    expect(verifyUploadCapability(`${v}.${p}.${s.slice(0, -2)}AA`, kp.publicKey, 0)).toBeUndefined();
    for (const t of ['', 'u1', 'u1..', `u2.${p}.${s}`, `${token}.x`, 'x'.repeat(600)]) expect(verifyUploadCapability(t, kp.publicKey, 0)).toBeUndefined();
    expect(() => signUploadCapability({ ...cap, blobKey: 'short' }, kp.privateKey)).toThrow();
    expect(() => signUploadCapability({ ...cap, maxLength: 0 }, kp.privateKey)).toThrow();
  });

  it('is never accepted as a relay credential, nor a relay credential as a capability (same key, distinct prefixes)', () => {
    const relay = signRelayCredential({ accountId: '00000000-0000-4000-8000-000000000000', deviceId: 1, registrationId: 7, expiresAt: 2_000_000_000_000, audience: 'http://relay.test' }, kp.privateKey);
    expect(verifyRelayCredential(relay, kp.publicKey, 0)).toBeDefined();
    expect(relay.startsWith(`${RELAY_CREDENTIAL_VERSION}.`)).toBe(true);
    expect(verifyUploadCapability(relay, kp.publicKey, 0)).toBeUndefined();
    expect(verifyUploadCapability(`u1.${relay.slice(3)}`, kp.publicKey, 0)).toBeUndefined();
    const token = signUploadCapability(cap, kp.privateKey);
    expect(verifyRelayCredential(`${RELAY_CREDENTIAL_VERSION}.${token.slice(3)}`, kp.publicKey, 0)).toBeUndefined();
  });

  it('blob keys are 20 base64url characters (120 bits)', () => {
    expect(isBlobKey('AbCdEfGhIjKlMnOpQr-_')).toBe(true);
    for (const k of ['AbCdEfGhIjKlMnOpQr-', 'AbCdEfGhIjKlMnOpQr-_x', 'AbCdEfGhIjKlMnOpQr+/', '../../../etc/passwdxx', 7]) expect(isBlobKey(k)).toBe(false);
  });
});
