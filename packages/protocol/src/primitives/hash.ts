/**
 * Hash functions. SHA-2 comes from the active backend (node: OpenSSL; web:
 * @noble/hashes); SHA-3/SHAKE, which the KEMs need, from @noble/hashes on both.
 */
import { backend } from '#primitives-backend';
import { sha3_256 as nobleSha3_256, shake256 as nobleShake256 } from '@noble/hashes/sha3.js';
import { InvalidArgumentError } from '../errors.ts';
import { checkBytes } from './bytes.ts';

function checkParts(what: string, parts: Uint8Array[]): Uint8Array[] {
  for (const [i, p] of parts.entries()) checkBytes(`${what} input ${i}`, p);
  return parts;
}

/** SHA-256 of the concatenation of `data` parts -> 32 bytes. */
export function sha256(...data: Uint8Array[]): Uint8Array {
  return backend.sha256(checkParts('sha256', data));
}

/** SHA-512 of the concatenation of `data` parts -> 64 bytes. */
export function sha512(...data: Uint8Array[]): Uint8Array {
  return backend.sha512(checkParts('sha512', data));
}

/** SHA3-256 of the concatenation of `data` parts -> 32 bytes. */
export function sha3_256(...data: Uint8Array[]): Uint8Array {
  const h = nobleSha3_256.create();
  for (const p of checkParts('sha3-256', data)) h.update(p);
  return h.digest();
}

/** SHAKE256 of the concatenation of `data` parts, `outputLength` bytes. */
export function shake256(outputLength: number, ...data: Uint8Array[]): Uint8Array {
  if (!Number.isSafeInteger(outputLength) || outputLength < 0) {
    throw new InvalidArgumentError(`SHAKE256 output length must be a non-negative integer, got ${outputLength}`);
  }
  const h = nobleShake256.create({ dkLen: outputLength });
  for (const p of checkParts('shake256', data)) h.update(p);
  return h.digest();
}
