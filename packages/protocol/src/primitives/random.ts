/** Secure randomness (the active backend's CSPRNG) and constant-time comparison. */
import { backend } from '#primitives-backend';
import { InvalidArgumentError } from '../errors.ts';
import { checkBytes } from './bytes.ts';

/** `n` bytes from the platform CSPRNG (node: crypto.randomBytes; web: crypto.getRandomValues). */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`randomBytes length must be a non-negative integer, got ${n}`);
  }
  return backend.randomBytes(n);
}

/**
 * Compares two byte arrays without leaking, through timing, where they first
 * differ: every byte is visited and the differences are OR-ed together, with
 * no early exit. Arrays of different length compare unequal (lengths are public).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  checkBytes('a', a);
  checkBytes('b', b);
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
