/**
 * HKDF-SHA256 (RFC 5869) from the active backend: on node, extract-and-expand
 * over node's HMAC (measured faster inside the ratchet than crypto.hkdfSync,
 * see node/hashes.ts); on web, @noble/hashes' hkdf. Neither caps `info`.
 * Checked against RFC 5869 and Wycheproof on both.
 */
import { backend } from '#primitives-backend';
import { InvalidArgumentError } from '../errors.ts';
import { checkBytes } from './bytes.ts';

const HASH_LEN = 32;
/** RFC 5869 §2.3: L <= 255*HashLen. */
export const HKDF_SHA256_MAX_LENGTH = 255 * HASH_LEN;

/**
 * HKDF-SHA256(IKM, salt, info) -> `length` bytes (RFC 5869). An empty salt
 * means HashLen zero bytes, as the RFC says.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  checkBytes('HKDF ikm', ikm);
  checkBytes('HKDF salt', salt);
  checkBytes('HKDF info', info);
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new InvalidArgumentError(`HKDF-SHA256 output length must be 0..${HKDF_SHA256_MAX_LENGTH}, got ${length}`);
  }
  if (length === 0) return new Uint8Array(0);
  return backend.hkdfSha256(ikm, salt, info, length);
}
