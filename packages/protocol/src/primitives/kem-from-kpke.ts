/**
 * ML-KEM (FIPS 203 Algorithms 16–18) and round-3 Kyber's KEM on K-PKE
 * (kpke.ts), with G = SHA3-512, H = SHA3-256, J / KDF = SHAKE-256 from the
 * primitives backend. Input checks (key sizes, the modulus check, the
 * decapsulation key's hash check) are the callers'.
 *
 * Round 3 and FIPS 203 differ only in the hashing around K-PKE:
 *   keygen   (ρ, σ) = G(d)            (FIPS 203: G(d ‖ k))
 *   encaps   m = H(m0) first; (K̄, r) = G(m ‖ H(pk)); c = Enc(pk, m, r);
 *            K = KDF(K̄ ‖ H(c))       (FIPS 203: K = K̄)
 *   decaps   match:    K = KDF(K̄' ‖ H(c))
 *            mismatch: K = KDF(z ‖ H(c))   (FIPS 203: J(z ‖ c))
 * Both decapsulations compute both candidates and select without branching.
 *
 * Decapsulation key layout (both): dk_PKE (384·k) ‖ ek (384·k + 32) ‖ H(ek) (32) ‖ z (32).
 */
import { sha3_256, sha3_512, shake256 } from './hash.ts';
import { type KPkeParams, kpkeDecrypt, kpkeEncrypt, kpkeKeyGen } from './kpke.ts';

/** A KEM key pair (encapsulation key, decapsulation key). */
export interface KpkeKemKeys {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

function secretKeyOf(dkPke: Uint8Array, ek: Uint8Array, z: Uint8Array): Uint8Array {
  const sk = new Uint8Array(dkPke.length + ek.length + 64);
  sk.set(dkPke, 0);
  sk.set(ek, dkPke.length);
  sk.set(sha3_256(ek), dkPke.length + ek.length);
  sk.set(z, dkPke.length + ek.length + 32);
  return sk;
}

function splitSecretKey(p: KPkeParams, sk: Uint8Array): { dkPke: Uint8Array; ek: Uint8Array; h: Uint8Array; z: Uint8Array } {
  const a = 384 * p.k;
  const b = a + 384 * p.k + 32;
  return { dkPke: sk.subarray(0, a), ek: sk.subarray(a, b), h: sk.subarray(b, b + 32), z: sk.subarray(b + 32, b + 64) };
}

/** Constant-time select: `ifEqual` when the ciphertexts are equal, else `otherwise` (fresh array). */
function selectOnEqual(c: Uint8Array, c2: Uint8Array, ifEqual: Uint8Array, otherwise: Uint8Array): Uint8Array {
  let diff = c.length ^ c2.length;
  for (let i = 0; i < c.length; i++) diff |= c[i]! ^ c2[i]!;
  const mask = ((diff | -diff) >> 31) & 0xff; // 0xff when they differ
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = (ifEqual[i]! & ~mask) | (otherwise[i]! & mask);
  return out;
}

/** ML-KEM.KeyGen_internal(d, z), seed64 = d ‖ z. */
export function mlkemKeyGen(p: KPkeParams, seed64: Uint8Array): KpkeKemKeys {
  const g = sha3_512(seed64.subarray(0, 32), Uint8Array.of(p.k));
  const { ek, dk } = kpkeKeyGen(p, g.subarray(0, 32), g.subarray(32, 64));
  g.fill(0);
  const secretKey = secretKeyOf(dk, ek, seed64.subarray(32, 64));
  dk.fill(0);
  return { publicKey: ek, secretKey };
}

/** ML-KEM.Encaps_internal(ek, m). */
export function mlkemEncaps(p: KPkeParams, ek: Uint8Array, m: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  const kr = sha3_512(m, sha3_256(ek));
  const ciphertext = kpkeEncrypt(p, ek, m, kr.subarray(32, 64));
  const sharedSecret = kr.slice(0, 32);
  kr.fill(0);
  return { ciphertext, sharedSecret };
}

/** ML-KEM.Decaps_internal(dk, c) with implicit rejection K̄ = J(z ‖ c). */
export function mlkemDecaps(p: KPkeParams, sk: Uint8Array, c: Uint8Array): Uint8Array {
  const { dkPke, ek, h, z } = splitSecretKey(p, sk);
  const m = kpkeDecrypt(p, dkPke, c);
  const kr = sha3_512(m, h);
  const c2 = kpkeEncrypt(p, ek, m, kr.subarray(32, 64));
  const out = selectOnEqual(c, c2, kr.subarray(0, 32), shake256(32, z, c));
  m.fill(0);
  kr.fill(0);
  return out;
}

/** Round-3 Kyber keygen from seed64 = d ‖ z. */
export function kyberKeyGen(p: KPkeParams, seed64: Uint8Array): KpkeKemKeys {
  const g = sha3_512(seed64.subarray(0, 32));
  const { ek, dk } = kpkeKeyGen(p, g.subarray(0, 32), g.subarray(32, 64));
  g.fill(0);
  const secretKey = secretKeyOf(dk, ek, seed64.subarray(32, 64));
  dk.fill(0);
  return { publicKey: ek, secretKey };
}

/** Round-3 Kyber encapsulation with the reference code's random coins m0. */
export function kyberEncaps(p: KPkeParams, pk: Uint8Array, m0: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  const m = sha3_256(m0);
  const kr = sha3_512(m, sha3_256(pk));
  const ciphertext = kpkeEncrypt(p, pk, m, kr.subarray(32, 64));
  const sharedSecret = shake256(32, kr.subarray(0, 32), sha3_256(ciphertext));
  m.fill(0);
  kr.fill(0);
  return { ciphertext, sharedSecret };
}

/** Round-3 Kyber decapsulation: KDF(K̄' ‖ H(c)) on a match, KDF(z ‖ H(c)) otherwise. */
export function kyberDecaps(p: KPkeParams, sk: Uint8Array, c: Uint8Array): Uint8Array {
  const { dkPke, ek, h, z } = splitSecretKey(p, sk);
  const m = kpkeDecrypt(p, dkPke, c);
  const kr = sha3_512(m, h);
  const c2 = kpkeEncrypt(p, ek, m, kr.subarray(32, 64));
  const hc = sha3_256(c);
  const accept = shake256(32, kr.subarray(0, 32), hc);
  const reject = shake256(32, z, hc);
  const out = selectOnEqual(c, c2, accept, reject);
  m.fill(0);
  kr.fill(0);
  accept.fill(0);
  reject.fill(0);
  return out;
}
