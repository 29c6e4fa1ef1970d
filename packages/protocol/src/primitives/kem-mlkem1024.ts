/**
 * ML-KEM-1024 (FIPS 203) from explicit seeds, on our K-PKE (kpke.ts,
 * kem-from-kpke.ts: SHA-3/SHAKE from the primitives backend). Until issue 19
 * this was @noble/post-quantum's ml_kem1024; the C2SP CCTV sets, the
 * Wycheproof ML-KEM-1024 files and libcrux's FIPS 203 KATs (scripts/vectors.ts)
 * replay against this code, and so prove the ML-KEM wrapper ML-KEM-768 uses too.
 *
 * Sizes: public (encapsulation) key 1568, secret (decapsulation) key 3168,
 * ciphertext 1568, shared secret 32 bytes.
 */
import { DecryptionError, InvalidKeyError } from '../errors.ts';
import { checkBytes } from './bytes.ts';
import { sha3_256 } from './hash.ts';
import { mlkemDecaps, mlkemEncaps, mlkemKeyGen } from './kem-from-kpke.ts';
import { KPKE_1024 } from './kpke.ts';
import { constantTimeEqual, randomBytes } from './random.ts';

/** Public (encapsulation) key bytes, ML-KEM-1024 and round-3 Kyber1024 alike. */
export const KEM1024_PUBLIC_KEY_LENGTH = 1568;
/** Secret (decapsulation) key bytes: dk_PKE (1536) || pk (1568) || H(pk) (32) || z (32). */
export const KEM1024_SECRET_KEY_LENGTH = 3168;
/** Ciphertext bytes. */
export const KEM1024_CIPHERTEXT_LENGTH = 1568;
/** Shared secret bytes. */
export const KEM_SHARED_SECRET_LENGTH = 32;

/** A KEM key pair. */
export interface KemKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** The result of encapsulation: what to send and what to keep. */
export interface KemEncapsulation {
  ciphertext: Uint8Array;
  sharedSecret: Uint8Array;
}

/** Checks an encapsulation key's length and that every 12-bit coefficient is < q (FIPS 203 §7.2). */
export function checkKem1024PublicKey(publicKey: unknown, what = 'KEM-1024 public key'): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEM1024_PUBLIC_KEY_LENGTH) {
    throw new InvalidKeyError(
      `${what} must be ${KEM1024_PUBLIC_KEY_LENGTH} bytes, got ${publicKey instanceof Uint8Array ? publicKey.length : typeof publicKey}`,
    );
  }
  // 4 polynomials x 256 coefficients, packed two per 3 bytes; rho follows.
  for (let i = 0; i < 1536; i += 3) {
    const b0 = publicKey[i]!;
    const b1 = publicKey[i + 1]!;
    const b2 = publicKey[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= 3329 || ((b1 >> 4) | (b2 << 4)) >= 3329) {
      throw new InvalidKeyError(`${what} has a coefficient that is not reduced modulo q`);
    }
  }
  return publicKey;
}

/**
 * Checks a decapsulation key: length, and that the embedded H(ek) matches
 * the embedded ek (FIPS 203 §7.3's input check).
 */
export function checkKem1024SecretKey(secretKey: unknown, what = 'KEM-1024 secret key'): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== KEM1024_SECRET_KEY_LENGTH) {
    throw new InvalidKeyError(
      `${what} must be ${KEM1024_SECRET_KEY_LENGTH} bytes, got ${secretKey instanceof Uint8Array ? secretKey.length : typeof secretKey}`,
    );
  }
  const ek = secretKey.subarray(1536, 1536 + KEM1024_PUBLIC_KEY_LENGTH);
  const h = secretKey.subarray(3104, 3136);
  if (!constantTimeEqual(sha3_256(ek), h)) {
    throw new InvalidKeyError(`${what} is corrupt: embedded public-key hash does not match`);
  }
  return secretKey;
}

/** Checks a KEM-1024 ciphertext's length. */
export function checkKem1024Ciphertext(ciphertext: unknown, what = 'KEM-1024 ciphertext'): Uint8Array {
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length !== KEM1024_CIPHERTEXT_LENGTH) {
    throw new DecryptionError(
      'DECRYPTION_FAILED',
      `${what} must be ${KEM1024_CIPHERTEXT_LENGTH} bytes, got ${ciphertext instanceof Uint8Array ? ciphertext.length : typeof ciphertext}`,
    );
  }
  return ciphertext;
}

/** ML-KEM-1024.KeyGen_internal(d, z) with seed64 = d || z (random if omitted). */
export function mlkem1024KeyGen(seed64?: Uint8Array): KemKeyPair {
  const seed = seed64 === undefined ? randomBytes(64) : checkBytes('ML-KEM-1024 keygen seed', seed64, 64);
  const { publicKey, secretKey } = mlkemKeyGen(KPKE_1024, seed);
  return { publicKey, secretKey };
}

/** ML-KEM-1024.Encaps_internal(ek, m) with seed32 = m (random if omitted). */
export function mlkem1024Encapsulate(publicKey: Uint8Array, seed32?: Uint8Array): KemEncapsulation {
  checkKem1024PublicKey(publicKey, 'ML-KEM-1024 public key');
  const m = seed32 === undefined ? randomBytes(32) : checkBytes('ML-KEM-1024 encapsulation seed', seed32, 32);
  return mlkemEncaps(KPKE_1024, publicKey, m);
}

/**
 * ML-KEM-1024.Decaps(dk, c). A well-formed but wrong ciphertext yields the
 * implicit-rejection secret (no error, by design); malformed inputs throw.
 */
export function mlkem1024Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkKem1024SecretKey(secretKey, 'ML-KEM-1024 secret key');
  checkKem1024Ciphertext(ciphertext, 'ML-KEM-1024 ciphertext');
  return mlkemDecaps(KPKE_1024, secretKey, ciphertext);
}
