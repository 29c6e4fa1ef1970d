/**
 * Kyber1024, NIST round 3 (the version libsignal 0.90 uses for key type
 * 0x08), from explicit seeds, on our K-PKE (kpke.ts, kem-from-kpke.ts).
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
 * This used to post-process @noble/post-quantum's ML-KEM; since issue 19 it
 * runs K-PKE with SHA-3/SHAKE from the primitives backend (OpenSSL on node),
 * which makes a session setup's encapsulation and decapsulation ~4× cheaper
 * (docs/benchmarks.md, "Issue 19: session setup"). The libcrux round-3 KATs
 * (100 entries) prove the composition.
 */
import { checkBytes } from './bytes.ts';
import { KPKE_1024 } from './kpke.ts';
import { kyberDecaps, kyberEncaps, kyberKeyGen } from './kem-from-kpke.ts';
import {
  checkKem1024Ciphertext,
  checkKem1024PublicKey,
  checkKem1024SecretKey,
  type KemEncapsulation,
  type KemKeyPair,
} from './kem-mlkem1024.ts';
import { randomBytes } from './random.ts';

/**
 * Round-3 Kyber1024 key generation from seed64 = d || z (random if omitted).
 * Secret key layout: dk_PKE (1536) || pk (1568) || H(pk) (32) || z (32).
 */
export function kyber1024KeyGen(seed64?: Uint8Array): KemKeyPair {
  const seed = seed64 === undefined ? randomBytes(64) : checkBytes('Kyber1024 keygen seed', seed64, 64);
  const { publicKey, secretKey } = kyberKeyGen(KPKE_1024, seed);
  return { publicKey, secretKey };
}

/**
 * Round-3 Kyber1024 encapsulation with seed32 = the random coins m0 the
 * reference code draws (random if omitted). Throws InvalidKeyError for a
 * public key of the wrong size or with unreduced coefficients.
 */
export function kyber1024Encapsulate(publicKey: Uint8Array, seed32?: Uint8Array): KemEncapsulation {
  checkKem1024PublicKey(publicKey, 'Kyber1024 public key');
  const m0 = seed32 === undefined ? randomBytes(32) : checkBytes('Kyber1024 encapsulation seed', seed32, 32);
  return kyberEncaps(KPKE_1024, publicKey, m0);
}

/**
 * Round-3 Kyber1024 decapsulation. A well-formed but wrong ciphertext gives
 * the implicit-rejection secret SHAKE-256(z || H(c)) (no error, by design);
 * malformed keys/ciphertexts throw typed errors.
 */
export function kyber1024Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkKem1024SecretKey(secretKey, 'Kyber1024 secret key');
  checkKem1024Ciphertext(ciphertext, 'Kyber1024 ciphertext');
  return kyberDecaps(KPKE_1024, secretKey, ciphertext);
}
