import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidKeyError } from '../../src/errors.ts';
import { fromHex, randomBytes, toHex, x25519GenerateKeyPair, xeddsaSign, xeddsaVerify } from '../../src/primitives/index.ts';

/** Group order L of the Ed25519 prime subgroup. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function sScalar(sig: Uint8Array): bigint {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(i === 63 ? sig[i]! & 0x7f : sig[i]!);
  return s;
}

function withS(sig: Uint8Array, s: bigint): Uint8Array {
  const out = Uint8Array.from(sig);
  const signBit = sig[63]! & 0x80;
  for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  out[63] = (out[63]! & 0x7f) | signBit;
  return out;
}

describe('xeddsaSign / xeddsaVerify', () => {
  const kp = x25519GenerateKeyPair();
  const msg = new TextEncoder().encode('signed prekey');

  it('is deterministic for explicit randomness and randomized otherwise', () => {
    const z = randomBytes(64);
    expect(toHex(xeddsaSign(kp.privateKey, msg, z))).toBe(toHex(xeddsaSign(kp.privateKey, msg, z)));
    expect(toHex(xeddsaSign(kp.privateKey, msg))).not.toBe(toHex(xeddsaSign(kp.privateKey, msg)));
    expect(xeddsaVerify(kp.publicKey, msg, xeddsaSign(kp.privateKey, msg, z))).toBe(true);
  });

  it('produces s < L and carries the Edwards sign bit in byte 63 (both bit values occur)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const k = x25519GenerateKeyPair();
      const sig = xeddsaSign(k.privateKey, msg);
      expect(sScalar(sig) < L).toBe(true);
      expect(xeddsaVerify(k.publicKey, msg, sig)).toBe(true);
      seen.add(sig[63]! >> 7);
      // The sign bit belongs to the key: flipping it breaks verification.
      const flipped = Uint8Array.from(sig);
      flipped[63]! ^= 0x80;
      expect(xeddsaVerify(k.publicKey, msg, flipped)).toBe(false);
    }
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('rejects other messages, other keys and every single-bit change of the signature', () => {
    const sig = xeddsaSign(kp.privateKey, msg);
    expect(xeddsaVerify(kp.publicKey, new TextEncoder().encode('signed prekeY'), sig)).toBe(false);
    expect(xeddsaVerify(x25519GenerateKeyPair().publicKey, msg, sig)).toBe(false);
    for (let bit = 0; bit < 512; bit += 7) {
      const bad = Uint8Array.from(sig);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(xeddsaVerify(kp.publicKey, msg, bad)).toBe(false);
    }
  });

  it('returns false for signatures of the wrong length and for s >= 2^253', () => {
    const sig = xeddsaSign(kp.privateKey, msg);
    expect(xeddsaVerify(kp.publicKey, msg, sig.subarray(0, 63))).toBe(false);
    expect(xeddsaVerify(kp.publicKey, msg, new Uint8Array([...sig, 0]))).toBe(false);
    for (const topBits of [0x20, 0x40, 0x60]) {
      const bad = Uint8Array.from(sig);
      bad[63]! |= topBits;
      expect(xeddsaVerify(kp.publicKey, msg, bad)).toBe(false);
    }
  });

  it('accepts s + L below 2^253, exactly as libsignal does (s is reduced mod L, not range-checked)', () => {
    // libsignal (curve25519.rs verify_signature) only checks s < 2^253.
    let sig = xeddsaSign(kp.privateKey, msg);
    while (sScalar(sig) + L >= 2n ** 253n) sig = xeddsaSign(kp.privateKey, msg);
    expect(xeddsaVerify(kp.publicKey, msg, withS(sig, sScalar(sig) + L))).toBe(true);
  });

  it('returns false for public keys with no Edwards image (u = p - 1, points on the twist)', () => {
    const sig = xeddsaSign(kp.privateKey, msg);
    expect(xeddsaVerify(fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), msg, sig)).toBe(false);
    // u = 2 lies on the twist (2 is not the u of a curve point): y = 1/3 does not decompress.
    expect(xeddsaVerify(fromHex(`02${'00'.repeat(31)}`), msg, sig)).toBe(false);
  });

  it('ignores the top bit of the Montgomery u, as libsignal (curve25519-dalek) does', () => {
    const sig = xeddsaSign(kp.privateKey, msg);
    const highBit = Uint8Array.from(kp.publicKey);
    highBit[31]! |= 0x80;
    expect(xeddsaVerify(highBit, msg, sig)).toBe(true);
  });

  it('throws typed errors for bad keys and bad randomness', () => {
    expect(() => xeddsaSign(new Uint8Array(31), msg)).toThrow(InvalidKeyError);
    expect(() => xeddsaSign(kp.privateKey, msg, new Uint8Array(32))).toThrow(InvalidArgumentError);
    expect(() => xeddsaSign(kp.privateKey, msg, new Uint8Array(32))).toThrow(/XEdDSA random must be 64 bytes, got 32/);
    expect(() => xeddsaVerify(new Uint8Array(33), msg, new Uint8Array(64))).toThrow(InvalidKeyError);
    expect(() => xeddsaVerify(new Uint8Array(33), msg, new Uint8Array(64))).toThrow(/raw Montgomery u/);
    expect(() => xeddsaSign(kp.privateKey, 'text' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
  });
});
