/**
 * Unidentified-access keys (src/access-key.ts), checked against libsignal's
 * zkgroup `ProfileKey.deriveAccessKey` (the assertion the relay's route test
 * made before the derivation moved here) and against node:crypto AES-GCM
 * (what the client and relay computed before).
 */
import { describe, expect, it } from 'vitest';
import { createCipheriv, randomBytes } from 'node:crypto';
import { ACCESS_KEY_LENGTH, InvalidKeyError, deriveAccessKey } from '../src/index.ts';

function nodeAccessKey(profileKey: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', profileKey, Buffer.alloc(12));
  const ct = Buffer.concat([cipher.update(Buffer.alloc(16)), cipher.final()]);
  return new Uint8Array(ct.subarray(0, 16));
}

describe('deriveAccessKey', () => {
  it('derives the unidentified-access key as Signal does (libsignal ProfileKey.deriveAccessKey)', async () => {
    const { ProfileKey } = await import('@signalapp/libsignal-client/dist/zkgroup/index.js');
    for (let i = 0; i < 4; i++) {
      const pk = new Uint8Array(randomBytes(32));
      expect(deriveAccessKey(pk)).toEqual(new ProfileKey(Buffer.from(pk)).deriveAccessKey());
    }
  });

  it('matches the previous node:crypto derivation byte for byte', () => {
    for (const pk of [new Uint8Array(32), new Uint8Array(32).fill(3), new Uint8Array(randomBytes(32))]) {
      const key = deriveAccessKey(pk);
      expect(key.length).toBe(ACCESS_KEY_LENGTH);
      expect(key).toEqual(nodeAccessKey(pk));
    }
  });

  it('refuses a profile key that is not 32 bytes', () => {
    expect(() => deriveAccessKey(new Uint8Array(31))).toThrow(InvalidKeyError);
    expect(() => deriveAccessKey('x' as unknown as Uint8Array)).toThrow(InvalidKeyError);
  });
});
