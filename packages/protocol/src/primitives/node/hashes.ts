/** SHA-2, HMAC-SHA256 and HKDF-SHA256 via node:crypto (OpenSSL). */
import { createHash, createHmac } from 'node:crypto';
import { asUint8Array } from './buffers.ts';

function digest(algorithm: 'sha256' | 'sha512', parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return asUint8Array(h.digest());
}

export function sha256(parts: readonly Uint8Array[]): Uint8Array {
  return digest('sha256', parts);
}

export function sha512(parts: readonly Uint8Array[]): Uint8Array {
  return digest('sha512', parts);
}

/**
 * HMAC over the parts in order, so a caller MACing a concatenation
 * (libsignal's message MAC covers both identity keys and the message) need
 * not build it. The digest Buffer owns its own 32-byte ArrayBuffer (not the
 * shared pool), so a view is safe and saves a copy: the ratchet calls this
 * ~7 times a message.
 */
function sha3(algorithm: 'sha3-256' | 'sha3-512', parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return asUint8Array(h.digest());
}

export function sha3_256(parts: readonly Uint8Array[]): Uint8Array {
  return sha3('sha3-256', parts);
}

export function sha3_512(parts: readonly Uint8Array[]): Uint8Array {
  return sha3('sha3-512', parts);
}

/** OpenSSL's SHAKE (XOF) with a fixed output length: ML-KEM's matrix expansion and PRF run here natively. */
function shake(algorithm: 'shake128' | 'shake256', outputLength: number, parts: readonly Uint8Array[]): Uint8Array {
  if (outputLength === 0) return new Uint8Array(0);
  const h = createHash(algorithm, { outputLength });
  for (const p of parts) h.update(p);
  return asUint8Array(h.digest());
}

export function shake128(outputLength: number, parts: readonly Uint8Array[]): Uint8Array {
  return shake('shake128', outputLength, parts);
}

export function shake256(outputLength: number, parts: readonly Uint8Array[]): Uint8Array {
  return shake('shake256', outputLength, parts);
}

export function hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return asUint8Array(hmac.digest());
}

const HASH_LEN = 32;
/** RFC 5869's salt when none is given: HashLen zero bytes (never written to). */
const ZERO_SALT = Buffer.alloc(HASH_LEN);
/** The one-byte block counters 1..255 (RFC 5869's i), made once rather than one array per block. */
const BLOCK_COUNTERS: readonly Uint8Array[] = Array.from({ length: 255 }, (_, i) => Uint8Array.of(i + 1));

/**
 * HKDF-SHA256 as RFC 5869's extract-and-expand on top of node's HMAC:
 * PRK = HMAC(salt, IKM); T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i).
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
 * against ~13% for the HMAC form (see docs/benchmarks.md). So this is the
 * only path; it also has no 1024-byte `info` cap (OpenSSL's).
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = createHmac('sha256', salt.length > 0 ? salt : ZERO_SALT).update(ikm).digest(); // a Uint8Array key as is: no Buffer view per call
  const out = new Uint8Array(length);
  let previous: Buffer | undefined;
  for (let i = 0; i * HASH_LEN < length; i++) {
    const block = createHmac('sha256', prk);
    if (previous !== undefined) block.update(previous);
    previous = block.update(info).update(BLOCK_COUNTERS[i]!).digest();
    // The last block is cut to what is left of `length`.
    out.set(previous.subarray(0, Math.min(HASH_LEN, length - i * HASH_LEN)), i * HASH_LEN);
  }
  return out;
}
