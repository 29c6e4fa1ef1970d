/**
 * The XEdDSA specification's variant (xeddsaSignSpec / xeddsaVerifySpec):
 * libsignal-protocol-c's published 10,000-signature chain, an independent
 * Ed25519 check, and how it relates to libsignal's wire variant.
 */
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { replayXeddsaChain } from '@sealpost/devkit/vectors';
import { InvalidKeyError } from '../../src/errors.ts';
import {
  fromHex,
  randomBytes,
  toHex,
  x25519GenerateKeyPair,
  xeddsaSign,
  xeddsaSignSpec,
  xeddsaVerify,
  xeddsaVerifySpec,
} from '../../src/primitives/index.ts';

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function le(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}
function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}
function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}
/** The spec's Edwards key for u: y = (u - 1)/(u + 1), sign bit 0 (computed here, not by the code under test). */
function edwardsKeyOf(u32: Uint8Array): Uint8Array {
  const u = le(u32);
  return le32((((u - 1n + P) % P) * modPow(u + 1n, P - 2n)) % P);
}
function withS(sig: Uint8Array, s: bigint): Uint8Array {
  const out = Uint8Array.from(sig);
  out.set(le32(s), 32);
  return out;
}

const vectors = JSON.parse(readFileSync(new URL('../../../../test-vectors/xeddsa-spec.json', import.meta.url), 'utf8')) as {
  iterated: { id: string; signature: string }[];
};

describe('xeddsaSignSpec / xeddsaVerifySpec', () => {
  const msg = new TextEncoder().encode('spec variant');

  it("reproduces libsignal-protocol-c's xeddsa_slow_test chain (10,000 signatures, published final value)", () => {
    const entry = vectors.iterated.find((e) => e.id === 'internal_slow_tests.c xeddsa_slow_test');
    expect(entry).toBeDefined();
    // Verification is checked at every 500th iteration here (every one with SEALPOST_SLOW_VECTORS=1 in the runner).
    expect(replayXeddsaChain(entry!, 500)).toBe(true);
  }, 120_000);

  it('signs as plain Ed25519 under the Edwards key with sign bit 0 (checked by @noble/curves, strict)', () => {
    for (let i = 0; i < 16; i++) {
      const kp = x25519GenerateKeyPair();
      const sig = xeddsaSignSpec(kp.privateKey, msg, randomBytes(64));
      const edKey = edwardsKeyOf(kp.publicKey);
      // The key really is the Montgomery key's Edwards form (noble maps it back to u).
      expect(toHex(ed25519.utils.toMontgomery(edKey))).toBe(toHex(kp.publicKey));
      expect(sig[63]! & 0x80).toBe(0);
      expect(ed25519.verify(sig, msg, edKey, { zip215: false })).toBe(true);
      expect(xeddsaVerifySpec(kp.publicKey, msg, sig)).toBe(true);
      expect(xeddsaVerifySpec(kp.publicKey, new TextEncoder().encode('spec variant!'), sig)).toBe(false);
    }
  });

  it("relates to libsignal's variant: equal bytes when A's sign bit is 0, otherwise only spec -> libsignal verifies", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const kp = x25519GenerateKeyPair();
      const z = randomBytes(64);
      const spec = xeddsaSignSpec(kp.privateKey, msg, z);
      const wire = xeddsaSign(kp.privateKey, msg, z);
      const signBit = wire[63]! >> 7;
      seen.add(signBit);
      // A spec signature says "sign bit 0", which is the spec's A: libsignal accepts it.
      expect(xeddsaVerify(kp.publicKey, msg, spec)).toBe(true);
      if (signBit === 0) {
        expect(toHex(wire)).toBe(toHex(spec));
        expect(xeddsaVerifySpec(kp.publicKey, msg, wire)).toBe(true);
      } else {
        // Different scalar (-k), different R and s; the spec verifier refuses byte 63's top bit.
        expect(toHex(wire.subarray(0, 32))).not.toBe(toHex(spec.subarray(0, 32)));
        expect(xeddsaVerifySpec(kp.publicKey, msg, wire)).toBe(false);
      }
    }
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('is deterministic for explicit randomness and randomized otherwise', () => {
    const kp = x25519GenerateKeyPair();
    const z = randomBytes(64);
    expect(toHex(xeddsaSignSpec(kp.privateKey, msg, z))).toBe(toHex(xeddsaSignSpec(kp.privateKey, msg, z)));
    expect(toHex(xeddsaSignSpec(kp.privateKey, msg))).not.toBe(toHex(xeddsaSignSpec(kp.privateKey, msg)));
  });

  it('checks s < 2^253 on the raw bytes but, like the spec, accepts s + L below that bound', () => {
    const kp = x25519GenerateKeyPair();
    let sig = xeddsaSignSpec(kp.privateKey, msg);
    while (le(sig.subarray(32)) + L >= 2n ** 253n) sig = xeddsaSignSpec(kp.privateKey, msg);
    expect(xeddsaVerifySpec(kp.publicKey, msg, withS(sig, le(sig.subarray(32)) + L))).toBe(true);
    for (const topBits of [0x20, 0x40, 0x80]) {
      const bad = Uint8Array.from(sig);
      bad[63]! |= topBits;
      expect(xeddsaVerifySpec(kp.publicKey, msg, bad)).toBe(false);
    }
    expect(xeddsaVerifySpec(kp.publicKey, msg, sig.subarray(0, 63))).toBe(false);
  });

  it('rejects non-canonical u (u >= p, including bit 255 set), twist points and u = p - 1', () => {
    const kp = x25519GenerateKeyPair();
    const sig = xeddsaSignSpec(kp.privateKey, msg);
    const highBit = Uint8Array.from(kp.publicKey);
    highBit[31]! |= 0x80;
    expect(xeddsaVerify(highBit, msg, sig)).toBe(true); // libsignal masks bit 255
    expect(xeddsaVerifySpec(highBit, msg, sig)).toBe(false); // the spec rejects u >= p
    expect(xeddsaVerifySpec(le32(le(kp.publicKey) + P), msg, sig)).toBe(false); // u + p < 2^256 for any u < p
    expect(xeddsaVerifySpec(fromHex('ff'.repeat(32)), msg, sig)).toBe(false);
    expect(xeddsaVerifySpec(fromHex(`02${'00'.repeat(31)}`), msg, sig)).toBe(false); // twist: y = 1/3 does not decompress
    // u = p - 1: the spec's inv(0) = 0 gives y = 0 (a point of order 4), never this key's signature.
    expect(xeddsaVerifySpec(le32(P - 1n), msg, sig)).toBe(false);
  });

  it('throws typed errors for bad keys and bad randomness', () => {
    const kp = x25519GenerateKeyPair();
    expect(() => xeddsaSignSpec(new Uint8Array(31), msg)).toThrow(InvalidKeyError);
    expect(() => xeddsaSignSpec(kp.privateKey, msg, new Uint8Array(63))).toThrow(/XEdDSA random must be 64 bytes, got 63/);
    expect(() => xeddsaVerifySpec(new Uint8Array(33), msg, new Uint8Array(64))).toThrow(InvalidKeyError);
  });
});
