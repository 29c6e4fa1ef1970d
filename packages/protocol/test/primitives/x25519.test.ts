import { PrivateKey, PublicKey } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../../src/errors.ts';
import {
  clampPrivateKey,
  concatBytes,
  fromHex,
  randomBytes,
  toHex,
  x25519Agree,
  x25519GenerateKeyPair,
  x25519PublicKey,
} from '../../src/primitives/index.ts';

function ab(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

describe('x25519', () => {
  it('agrees with itself in both directions over 50 random pairs', () => {
    for (let i = 0; i < 50; i++) {
      const a = x25519GenerateKeyPair();
      const b = x25519GenerateKeyPair();
      expect(toHex(x25519Agree(a.privateKey, b.publicKey))).toBe(toHex(x25519Agree(b.privateKey, a.publicKey)));
    }
  });

  it('derives key pairs from explicit randomness, clamped like libsignal', () => {
    const seed = new Uint8Array(32).fill(0xff);
    const kp = x25519GenerateKeyPair(seed);
    expect(toHex(kp.privateKey)).toBe(`f8${'ff'.repeat(30)}7f`);
    expect(kp.publicKey).toEqual(x25519PublicKey(seed));
    expect(seed[0]).toBe(0xff); // the caller's bytes are not modified
    expect(toHex(clampPrivateKey(new Uint8Array(32)))).toBe(`${'00'.repeat(31)}40`);
  });

  it('matches libsignal-client: public keys and agreements with the 0x05 prefix', () => {
    for (let i = 0; i < 30; i++) {
      const theirs = PrivateKey.generate();
      const ours = x25519GenerateKeyPair();
      // libsignal's private key serialization is the raw 32-byte scalar.
      const theirRaw = theirs.serialize();
      expect(toHex(concatBytes(Uint8Array.of(0x05), x25519PublicKey(theirRaw)))).toBe(toHex(theirs.getPublicKey().serialize()));
      const theirPublic = theirs.getPublicKey().serialize().subarray(1);
      const ourPublicForThem = PublicKey.deserialize(ab(concatBytes(Uint8Array.of(0x05), ours.publicKey)));
      expect(toHex(x25519Agree(ours.privateKey, theirPublic))).toBe(toHex(theirs.agree(ourPublicForThem)));
    }
  });

  it('rejects keys of the wrong length or type with InvalidKeyError', () => {
    const kp = x25519GenerateKeyPair();
    expect(() => x25519Agree(kp.privateKey, new Uint8Array(31))).toThrow(InvalidKeyError);
    expect(() => x25519Agree(kp.privateKey, new Uint8Array(33))).toThrow(/X25519 public key must be a 32-byte Uint8Array, got 33 bytes/);
    expect(() => x25519Agree(new Uint8Array(16), kp.publicKey)).toThrow(/X25519 private key must be a 32-byte/);
    expect(() => x25519PublicKey(new Uint8Array(0))).toThrow(InvalidKeyError);
    expect(() => x25519GenerateKeyPair(new Uint8Array(31))).toThrow(InvalidKeyError);
    expect(() => x25519Agree(kp.privateKey, 'abc' as unknown as Uint8Array)).toThrow(/got string/);
  });

  it('rejects low-order public keys (all-zero shared secret), as libsignal-client does', () => {
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000', // u = 0
      '0100000000000000000000000000000000000000000000000000000000000000', // u = 1
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p - 1
    ];
    const ours = x25519GenerateKeyPair();
    const theirs = PrivateKey.generate();
    for (const hex of lowOrder) {
      const err = (() => {
        try {
          x25519Agree(ours.privateKey, fromHex(hex));
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InvalidKeyError);
      expect((err as InvalidKeyError).code).toBe('INVALID_KEY');
      expect((err as Error).message).toMatch(/low-order point/);
      // libsignal 0.90 (rust/core/src/curve.rs) refuses the all-zero result too.
      expect(() => theirs.agree(PublicKey.deserialize(ab(fromHex(`05${hex}`))))).toThrow(/invalid key agreement/);
    }
  });

  it('accepts fresh random private keys of any bit pattern', () => {
    const peer = x25519GenerateKeyPair();
    for (let i = 0; i < 20; i++) expect(x25519Agree(randomBytes(32), peer.publicKey)).toHaveLength(32);
  });
});
