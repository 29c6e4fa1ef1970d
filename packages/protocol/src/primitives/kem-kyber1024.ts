/**
 * Kyber1024, NIST round 3 (the version libsignal 0.90 uses for key type
 * 0x08), from explicit seeds, built on @noble/post-quantum's ML-KEM.
 *
 * Round 3 and FIPS 203 share the lattice scheme K-PKE and all key, ciphertext
 * and sampling formats; they differ only in the hashing around it:
 *   keygen   (ρ, σ) = G(d)            (FIPS 203: G(d || k))
 *   encaps   m = H(m0) first; (K̄, r) = G(m || H(pk)); c = Enc(pk, m, r);
 *            K = KDF(K̄ || H(c))       (FIPS 203: K = K̄)
 *   decaps   match:    K = KDF(K̄ || H(c))
 *            mismatch: K = KDF(z || H(c))   (FIPS 203: J(z || c))
 * with G = SHA3-512, H = SHA3-256, KDF = SHAKE-256/32.
 *
 * So encapsulation is ML-KEM.Encaps_internal(pk, H(m0)) plus the final KDF,
 * and decapsulation post-processes ML-KEM.Decaps. Key generation cannot
 * reuse noble's ML-KEM keygen (G(d || k) is fixed inside it) and noble does
 * not export K-PKE itself, so keygen re-assembles K-PKE.KeyGen from the
 * building blocks noble exports as `__tests` (SampleNTT, SamplePolyCBD, NTT,
 * MultiplyNTTs, ByteEncode_12): the same code paths its ML-KEM runs. Only
 * polynomial addition mod q is ours. The libcrux round-3 KATs (100 entries)
 * prove the composition; if a noble upgrade moves those helpers, they fail.
 *
 * Cost (Node 20.20, 2-core box under load, per call): keygen ~1.0 ms
 * (ML-KEM's ~0.5 ms; the test helpers copy their inputs), encaps ~1.0 ms,
 * decaps ~1.0 ms — once per session setup, so not worth more code.
 */
import { __tests as nobleMlKemInternals, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { InvalidArgumentError } from '../errors.ts';
import { checkBytes, concatBytes } from './bytes.ts';
import { sha3_256, shake256 } from './hash.ts';
import {
  checkKem1024Ciphertext,
  checkKem1024PublicKey,
  checkKem1024SecretKey,
  type KemEncapsulation,
  type KemKeyPair,
} from './kem-mlkem1024.ts';
import { constantTimeEqual, randomBytes } from './random.ts';

const K = 4;
const N = 256;
const Q = 3329;
const ETA1 = 2;

interface KPkeInternals {
  SampleNTT(b34: Uint8Array): Uint16Array;
  SamplePolyCBD(b: Uint8Array, eta: number): Uint16Array;
  NTT(f: Uint16Array): Uint16Array;
  MultiplyNTTs(a: Uint16Array, b: Uint16Array): Uint16Array;
  ByteEncode_d(f: Uint16Array, d: number): Uint8Array;
}
const kpke = nobleMlKemInternals as KPkeInternals;

/** PRF_η(s, b) = SHAKE-256(s || b), 64·η bytes, then CBD_η, then NTT. */
function noiseNtt(sigma: Uint8Array, nonce: number): Uint16Array {
  const prf = shake256(64 * ETA1, sigma, Uint8Array.of(nonce));
  return kpke.NTT(kpke.SamplePolyCBD(prf, ETA1));
}

function polyAddInPlace(a: Uint16Array, b: Uint16Array): void {
  for (let i = 0; i < N; i++) {
    const r = a[i]! + b[i]!;
    a[i] = r >= Q ? r - Q : r;
  }
}

/** K-PKE.KeyGen from (ρ, σ): t̂ = Â∘ŝ + ê, with Â[i][j] = SampleNTT(ρ || j || i). */
function kpkeKeyGen(rho: Uint8Array, sigma: Uint8Array): { ekPke: Uint8Array; dkPke: Uint8Array } {
  const sHat: Uint16Array[] = [];
  for (let i = 0; i < K; i++) sHat.push(noiseNtt(sigma, i));
  const tParts: Uint8Array[] = [];
  for (let i = 0; i < K; i++) {
    const t = noiseNtt(sigma, K + i);
    for (let j = 0; j < K; j++) {
      const aij = kpke.SampleNTT(concatBytes(rho, Uint8Array.of(j, i)));
      polyAddInPlace(t, kpke.MultiplyNTTs(aij, sHat[j]!));
    }
    tParts.push(kpke.ByteEncode_d(t, 12));
  }
  const ekPke = concatBytes(...tParts, rho);
  const dkPke = concatBytes(...sHat.map((s) => kpke.ByteEncode_d(s, 12)));
  for (const s of sHat) s.fill(0);
  return { ekPke, dkPke };
}

/**
 * Round-3 Kyber1024 key generation from seed64 = d || z (random if omitted).
 * Secret key layout: dk_PKE (1536) || pk (1568) || H(pk) (32) || z (32).
 */
export function kyber1024KeyGen(seed64?: Uint8Array): KemKeyPair {
  const seed = seed64 === undefined ? randomBytes(64) : checkBytes('Kyber1024 keygen seed', seed64, 64);
  const g = sha3_512(seed.subarray(0, 32));
  const { ekPke, dkPke } = kpkeKeyGen(g.subarray(0, 32), g.subarray(32, 64));
  g.fill(0);
  const secretKey = concatBytes(dkPke, ekPke, sha3_256(ekPke), seed.subarray(32, 64));
  dkPke.fill(0);
  return { publicKey: ekPke, secretKey };
}

/**
 * Round-3 Kyber1024 encapsulation with seed32 = the random coins m0 the
 * reference code draws (random if omitted). Throws InvalidKeyError for a
 * public key of the wrong size or with unreduced coefficients.
 */
export function kyber1024Encapsulate(publicKey: Uint8Array, seed32?: Uint8Array): KemEncapsulation {
  checkKem1024PublicKey(publicKey, 'Kyber1024 public key');
  const m0 = seed32 === undefined ? randomBytes(32) : checkBytes('Kyber1024 encapsulation seed', seed32, 32);
  const { cipherText, sharedSecret: kBar } = ml_kem1024.encapsulate(publicKey, sha3_256(m0));
  const sharedSecret = shake256(32, kBar, sha3_256(cipherText));
  kBar.fill(0);
  return { ciphertext: cipherText, sharedSecret };
}

/**
 * Round-3 Kyber1024 decapsulation. A well-formed but wrong ciphertext gives
 * the implicit-rejection secret SHAKE-256(z || H(c)) (no error, by design);
 * malformed keys/ciphertexts throw typed errors.
 */
export function kyber1024Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkKem1024SecretKey(secretKey, 'Kyber1024 secret key');
  checkKem1024Ciphertext(ciphertext, 'Kyber1024 ciphertext');
  const z = secretKey.subarray(3136, 3168);
  let fromMlKem: Uint8Array;
  try {
    fromMlKem = ml_kem1024.decapsulate(ciphertext, secretKey);
  } catch (e) {
    throw new InvalidArgumentError(`Kyber1024 decapsulation rejected its input: ${(e as Error).message}`);
  }
  // ML-KEM returns K̄ on success and J(z || c) on rejection. Telling them
  // apart by recomputing J(z || c) is exact up to a 2^-256 collision; both
  // round-3 outcomes are computed and one is selected without branching.
  const rejected = constantTimeEqual(fromMlKem, shake256(32, z, ciphertext));
  const hc = sha3_256(ciphertext);
  const accept = shake256(32, fromMlKem, hc);
  const reject = shake256(32, z, hc);
  const mask = rejected ? 0xff : 0x00;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = (accept[i]! & ~mask) | (reject[i]! & mask);
  fromMlKem.fill(0);
  accept.fill(0);
  reject.fill(0);
  return out;
}
