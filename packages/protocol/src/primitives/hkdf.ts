/**
 * HKDF-SHA256 (RFC 5869) via node:crypto.
 *
 * The ratchet calls this once per message, so the path was measured
 * (Node 20.20, 2-core CI box, 80-byte output):
 *   crypto.hkdfSync                      ~8.8-12.6 µs/call
 *   extract+expand from createHmac       ~8.7-9.0 µs/call
 *   a single createHmac                  ~1.9 µs/call
 * Alone they are within noise of each other, but inside the ratchet's message
 * loop hkdfSync costs more: it wraps the IKM in a new KeyObject each call
 * (createSecretKey) and fetches OpenSSL's KDF, and a CPU profile of the
 * symmetric-ratchet benchmark put hkdfSync + KeyObject at ~27% of the time
 * against ~13% for the HMAC form (see docs/benchmarks.md). So RFC 5869's
 * extract-and-expand on top of node's HMAC is the only path; it also has no
 * 1024-byte `info` cap (OpenSSL's). Checked against RFC 5869 and Wycheproof.
 */
import { createHmac } from 'node:crypto';
import { InvalidArgumentError } from '../errors.ts';
import { asBuffer, checkBytes } from './bytes.ts';

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
  return hkdfFromHmac(ikm, salt, info, length);
}

/** RFC 5869's salt when none is given: HashLen zero bytes (never written to). */
const ZERO_SALT = Buffer.alloc(HASH_LEN);

/** RFC 5869 §2.2-2.3 on top of node's HMAC: PRK = HMAC(salt, IKM); T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i). */
function hkdfFromHmac(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = createHmac('sha256', salt.length > 0 ? asBuffer(salt) : ZERO_SALT).update(ikm).digest();
  const out = new Uint8Array(length);
  let previous: Buffer | undefined;
  for (let i = 0; i * HASH_LEN < length; i++) {
    const block = createHmac('sha256', prk);
    if (previous !== undefined) block.update(previous);
    previous = block.update(info).update(Uint8Array.of(i + 1)).digest();
    // The last block is cut to what is left of `length`.
    out.set(previous.subarray(0, Math.min(HASH_LEN, length - i * HASH_LEN)), i * HASH_LEN);
  }
  return out;
}
