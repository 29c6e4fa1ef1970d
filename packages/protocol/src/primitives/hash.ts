/**
 * Hash functions. SHA-2 comes from node:crypto (OpenSSL); SHA-3/SHAKE, which
 * the KEMs need, come from @noble/hashes.
 */
import { createHash } from 'node:crypto';
import { sha3_256 as nobleSha3_256, shake256 as nobleShake256 } from '@noble/hashes/sha3.js';
import { InvalidArgumentError } from '../errors.ts';
import { checkBytes } from './bytes.ts';

function nodeDigest(algorithm: 'sha256' | 'sha512', parts: Uint8Array[]): Uint8Array {
  const h = createHash(algorithm);
  for (const [i, p] of parts.entries()) h.update(checkBytes(`${algorithm} input ${i}`, p));
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** SHA-256 of the concatenation of `data` parts -> 32 bytes. */
export function sha256(...data: Uint8Array[]): Uint8Array {
  return nodeDigest('sha256', data);
}

/** SHA-512 of the concatenation of `data` parts -> 64 bytes. */
export function sha512(...data: Uint8Array[]): Uint8Array {
  return nodeDigest('sha512', data);
}

/** SHA3-256 of the concatenation of `data` parts -> 32 bytes. */
export function sha3_256(...data: Uint8Array[]): Uint8Array {
  const h = nobleSha3_256.create();
  for (const [i, p] of data.entries()) h.update(checkBytes(`sha3-256 input ${i}`, p));
  return h.digest();
}

/** SHAKE256 of the concatenation of `data` parts, `outputLength` bytes. */
export function shake256(outputLength: number, ...data: Uint8Array[]): Uint8Array {
  if (!Number.isSafeInteger(outputLength) || outputLength < 0) {
    throw new InvalidArgumentError(`SHAKE256 output length must be a non-negative integer, got ${outputLength}`);
  }
  const h = nobleShake256.create({ dkLen: outputLength });
  for (const [i, p] of data.entries()) h.update(checkBytes(`shake256 input ${i}`, p));
  return h.digest();
}
