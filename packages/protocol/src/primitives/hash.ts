/**
 * Hash functions, all from the active backend (node: OpenSSL; web:
 * @noble/hashes): SHA-2, and SHA-3/SHAKE, which the KEMs need (on node the
 * KEMs' matrix expansion and noise sampling thus run in native Keccak).
 */
import { backend } from '#primitives-backend';
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
  return backend.sha3_256(checkParts('sha3-256', data));
}

/** SHA3-512 of the concatenation of `data` parts -> 64 bytes. */
export function sha3_512(...data: Uint8Array[]): Uint8Array {
  return backend.sha3_512(checkParts('sha3-512', data));
}

function checkOutputLength(what: string, outputLength: number): void {
  if (!Number.isSafeInteger(outputLength) || outputLength < 0) {
    throw new InvalidArgumentError(`${what} output length must be a non-negative integer, got ${outputLength}`);
  }
}

/** SHAKE128 of the concatenation of `data` parts, `outputLength` bytes. */
export function shake128(outputLength: number, ...data: Uint8Array[]): Uint8Array {
  checkOutputLength('SHAKE128', outputLength);
  return backend.shake128(outputLength, checkParts('shake128', data));
}

/** SHAKE256 of the concatenation of `data` parts, `outputLength` bytes. */
export function shake256(outputLength: number, ...data: Uint8Array[]): Uint8Array {
  checkOutputLength('SHAKE256', outputLength);
  return backend.shake256(outputLength, checkParts('shake256', data));
}
