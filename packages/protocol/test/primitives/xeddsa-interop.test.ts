/**
 * XEdDSA against @signalapp/libsignal-client 0.90.0: signatures made by us
 * verify there and vice versa, and the two verifiers agree on corrupted
 * signatures and keys. libsignal serializes public keys as 0x05 || u and
 * private keys as the raw 32-byte scalar.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PrivateKey, PublicKey } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { publishedVectorsDir } from '@sealpost/devkit/vectors';
import { clampPrivateKey, concatBytes, fromHex, randomBytes, sha512, xeddsaSign, xeddsaVerify } from '../../src/primitives/index.ts';

function ab(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

function libsignalPublic(u: Uint8Array): PublicKey {
  return PublicKey.deserialize(ab(concatBytes(Uint8Array.of(0x05), u)));
}

const ROUNDS = 200;

describe('XEdDSA interop with libsignal-client', () => {
  it(`libsignal signs, we verify (${ROUNDS} random keys and messages)`, () => {
    let verified = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const key = PrivateKey.generate();
      const message = randomBytes(i % 97);
      const sig = key.sign(ab(message));
      const u = key.getPublicKey().serialize().subarray(1);
      if (xeddsaVerify(u, message, sig)) verified++;
    }
    expect(verified).toBe(ROUNDS);
  });

  it(`we sign, libsignal verifies (${ROUNDS} random keys and messages, keys loaded from raw bytes)`, () => {
    let verified = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const raw = randomBytes(32);
      const key = PrivateKey.deserialize(ab(raw));
      const message = randomBytes((i * 13) % 301);
      const sig = xeddsaSign(raw, message);
      if (key.getPublicKey().verify(ab(message), ab(sig))) verified++;
    }
    expect(verified).toBe(ROUNDS);
  });

  it('both verifiers give the same verdict on corrupted signatures, keys and messages', () => {
    let rejectedByBoth = 0;
    let acceptedByBoth = 0;
    for (let i = 0; i < 150; i++) {
      const raw = randomBytes(32);
      const key = PrivateKey.deserialize(ab(raw));
      const u = key.getPublicKey().serialize().subarray(1);
      const message = randomBytes(40);
      const sig = i % 2 === 0 ? xeddsaSign(raw, message) : key.sign(ab(message));
      const badSig = Uint8Array.from(sig);
      badSig[i % 64]! ^= 1 << (i % 8);
      const badMsg = Uint8Array.from(message);
      badMsg[i % 40]! ^= 0x10;
      const highBitKey = Uint8Array.from(u);
      highBitKey[31]! |= 0x80; // both ignore the top bit of u
      for (const [pk, m, s] of [
        [u, message, badSig],
        [u, badMsg, sig],
        [highBitKey, message, sig],
      ] as const) {
        const ours = xeddsaVerify(pk, m, s);
        const theirs = libsignalPublic(pk).verify(ab(m), ab(s));
        expect(ours).toBe(theirs);
        if (ours) acceptedByBoth++;
        else rejectedByBoth++;
      }
    }
    expect(acceptedByBoth).toBe(150); // the high-bit key variant
    expect(rejectedByBoth).toBe(300);
  });

  it('both accept the malleable s + L form and both reject s >= 2^253', () => {
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let checked = 0;
    for (let i = 0; i < 20; i++) {
      const raw = randomBytes(32);
      const key = PrivateKey.deserialize(ab(raw));
      const u = key.getPublicKey().serialize().subarray(1);
      const message = randomBytes(16);
      const sig = xeddsaSign(raw, message);
      let sv = 0n;
      for (let j = 63; j >= 32; j--) sv = (sv << 8n) | BigInt(j === 63 ? sig[j]! & 0x7f : sig[j]!);
      const big = sv + L;
      if (big >= 2n ** 253n) continue;
      const malleable = Uint8Array.from(sig);
      let t = big;
      for (let j = 32; j < 64; j++, t >>= 8n) malleable[j] = Number(t & 0xffn);
      malleable[63] = (malleable[63]! & 0x7f) | (sig[63]! & 0x80);
      expect(xeddsaVerify(u, message, malleable)).toBe(true);
      expect(key.getPublicKey().verify(ab(message), ab(malleable))).toBe(true);
      const tooBig = Uint8Array.from(sig);
      tooBig[63]! |= 0x20;
      expect(xeddsaVerify(u, message, tooBig)).toBe(false);
      expect(key.getPublicKey().verify(ab(message), ab(tooBig))).toBe(false);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('agree with libsignal on every 64-byte Wycheproof Ed25519 case, converted to XEdDSA form', () => {
    // u = (1 + y) / (1 - y) mod p (0 for y = 1, as curve25519-dalek maps the
    // identity); the signature carries A's sign bit in byte 63. All of
    // Wycheproof's edge cases (small-order R/A, s >= L, non-canonical R, ...)
    // thus reach both verifiers; their verdicts must be identical, and every
    // Wycheproof-valid signature must verify.
    const P = 2n ** 255n - 19n;
    const modPow = (b: bigint, e: bigint): bigint => {
      let r = 1n;
      for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
      return r;
    };
    const toMontgomery = (pk: Uint8Array): Uint8Array => {
      let y = 0n;
      for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? pk[i]! & 0x7f : pk[i]!);
      y %= P;
      let u = ((1n + y) * modPow((1n - y + P) % P, P - 2n)) % P;
      const out = new Uint8Array(32);
      for (let i = 0; i < 32; i++, u >>= 8n) out[i] = Number(u & 0xffn);
      return out;
    };
    interface Case { tcId: number; msg: string; sig: string; result: string }
    const file = JSON.parse(readFileSync(path.join(publishedVectorsDir(), 'wycheproof', 'ed25519_test.json'), 'utf8')) as {
      testGroups: { publicKey: { pk: string }; tests: Case[] }[];
    };
    let compared = 0;
    let validAccepted = 0;
    const disagreements: number[] = [];
    for (const group of file.testGroups) {
      const pk = fromHex(group.publicKey.pk);
      const u = toMontgomery(pk);
      for (const t of group.tests) {
        const sig = fromHex(t.sig);
        if (sig.length !== 64) continue; // length errors never reach the curve math
        sig[63] = (sig[63]! & 0x7f) | (pk[31]! & 0x80);
        const msg = fromHex(t.msg);
        const ours = xeddsaVerify(u, msg, sig);
        const theirs = libsignalPublic(u).verify(ab(msg), ab(sig));
        if (ours !== theirs) disagreements.push(t.tcId);
        if (t.result === 'valid' && ours) validAccepted++;
        compared++;
      }
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBe(139);
    expect(validAccepted).toBe(88);
  });

  it('both reject a non-canonical encoding of R and accept its canonical form', () => {
    // Forge with our own key: R = identity, s = h·a, so s·B − h·A = identity.
    // The identity's canonical encoding is y = 1; y = 1 + p (< 2^255) encodes
    // the same point non-canonically and must never verify.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const le = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
    const le32 = (n: bigint): Uint8Array => {
      const out = new Uint8Array(32);
      for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
      return out;
    };
    const raw = randomBytes(32);
    const key = PrivateKey.deserialize(ab(raw));
    const u = key.getPublicKey().serialize().subarray(1);
    const a = le(clampPrivateKey(raw)) % L;
    const message = randomBytes(24);
    const signBit = xeddsaSign(raw, message)[63]! & 0x80; // A's Edwards sign bit
    const forged = (rEnc: Uint8Array, aEnc: Uint8Array): Uint8Array => {
      const h = le(sha512(rEnc, aEnc, message)) % L;
      const sig = concatBytes(rEnc, le32((h * a) % L));
      sig[63] = (sig[63]! & 0x7f) | signBit;
      return sig;
    };
    const canonicalIdentity = le32(1n);
    const nonCanonicalIdentity = le32(2n ** 255n - 19n + 1n);
    // A's encoding (hashed into h): y = (u - 1) / (u + 1) plus the sign bit.
    const P = 2n ** 255n - 19n;
    const modPow = (b: bigint, e: bigint): bigint => {
      let r = 1n;
      for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
      return r;
    };
    const uN = le(u);
    const y = ((uN - 1n + P) * modPow(uN + 1n, P - 2n)) % P;
    const aEnc = le32(y);
    aEnc[31]! |= signBit;
    for (const [rEnc, expected] of [
      [canonicalIdentity, true],
      [nonCanonicalIdentity, false],
    ] as const) {
      const sig = forged(rEnc, aEnc);
      expect(xeddsaVerify(u, message, sig)).toBe(expected);
      expect(key.getPublicKey().verify(ab(message), ab(sig))).toBe(expected);
    }
  });
});
