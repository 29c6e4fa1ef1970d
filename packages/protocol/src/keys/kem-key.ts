/**
 * Kyber1024 (round 3, libsignal key type 0x08) keys in libsignal's
 * serialized form: public key `0x08 || pk` (1569 bytes), secret key
 * `0x08 || sk` (3169 bytes), ciphertext `0x08 || ct` (1569 bytes).
 */
import { InvalidKeyError } from '../errors.ts';
import {
  concatBytes,
  kyber1024Decapsulate,
  kyber1024Encapsulate,
  kyber1024KeyGen,
  randomBytes,
} from '../primitives/index.ts';

/** libsignal's key-type byte for Kyber1024. */
export const KYBER1024_KEY_TYPE = 0x08;
/** Raw Kyber1024 sizes (without the type byte). */
export const KYBER1024_PUBLIC_KEY_RAW = 1568;
export const KYBER1024_SECRET_KEY_RAW = 3168;
export const KYBER1024_CIPHERTEXT_RAW = 1568;
/** Length of a serialized Kyber1024 public key (type byte + 1568). */
export const KYBER1024_PUBLIC_KEY_LENGTH = KYBER1024_PUBLIC_KEY_RAW + 1;

/** A Kyber1024 key pair, both halves serialized with the 0x08 prefix. */
export interface KyberKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** Generates a key pair from a 64-byte seed (explicit randomness for vectors). */
export function generateKyberKeyPair(seed64: Uint8Array = randomBytes(64)): KyberKeyPair {
  const { publicKey, secretKey } = kyber1024KeyGen(seed64);
  return {
    publicKey: concatBytes(Uint8Array.of(KYBER1024_KEY_TYPE), publicKey),
    secretKey: concatBytes(Uint8Array.of(KYBER1024_KEY_TYPE), secretKey),
  };
}

function unprefix(serialized: Uint8Array, rawLength: number, what: string): Uint8Array {
  if (!(serialized instanceof Uint8Array)) throw new InvalidKeyError(`${what} must be a Uint8Array`);
  if (serialized.length === 0) throw new InvalidKeyError(`${what} is empty (no key type byte)`);
  if (serialized[0] !== KYBER1024_KEY_TYPE) {
    throw new InvalidKeyError(`${what} has KEM key type 0x${serialized[0]!.toString(16)}, expected 0x08 (Kyber1024)`);
  }
  if (serialized.length !== rawLength + 1) {
    throw new InvalidKeyError(`${what} must be ${rawLength + 1} bytes, got ${serialized.length}`);
  }
  return serialized.subarray(1);
}

/** Checks a serialized Kyber1024 public key; returns the raw 1568 bytes. */
export function kyberPublicKeyBytes(serialized: Uint8Array): Uint8Array {
  return unprefix(serialized, KYBER1024_PUBLIC_KEY_RAW, 'Kyber public key');
}

/** Checks a serialized Kyber1024 secret key; returns the raw 3168 bytes. */
export function kyberSecretKeyBytes(serialized: Uint8Array): Uint8Array {
  return unprefix(serialized, KYBER1024_SECRET_KEY_RAW, 'Kyber secret key');
}

/**
 * Encapsulates to a serialized public key. Returns the serialized (prefixed)
 * ciphertext as libsignal puts it on the wire, and the 32-byte secret.
 */
export function kyberEncapsulate(
  publicKey: Uint8Array,
  seed32: Uint8Array = randomBytes(32),
): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  const { ciphertext, sharedSecret } = kyber1024Encapsulate(kyberPublicKeyBytes(publicKey), seed32);
  return { ciphertext: concatBytes(Uint8Array.of(KYBER1024_KEY_TYPE), ciphertext), sharedSecret };
}

/** Decapsulates a serialized (prefixed) ciphertext with a serialized secret key. */
export function kyberDecapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const sk = kyberSecretKeyBytes(secretKey);
  const ct = unprefix(ciphertext, KYBER1024_CIPHERTEXT_RAW, 'Kyber ciphertext');
  return kyber1024Decapsulate(sk, ct);
}
