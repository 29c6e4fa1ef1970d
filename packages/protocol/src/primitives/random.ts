/** Secure randomness and constant-time comparison (node:crypto). */
import { randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../errors.ts';
import { asBuffer, checkBytes } from './bytes.ts';

/** `n` bytes from the operating system's CSPRNG (crypto.randomBytes). */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`randomBytes length must be a non-negative integer, got ${n}`);
  }
  const buf = nodeRandomBytes(n);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Compares two byte arrays without leaking, through timing, where they first
 * differ. Arrays of different length compare unequal (lengths are public).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  checkBytes('a', a);
  checkBytes('b', b);
  if (a.length !== b.length) return false;
  return timingSafeEqual(asBuffer(a), asBuffer(b));
}
