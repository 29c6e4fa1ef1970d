/**
 * Unidentified-access keys: the proof a sealed sender shows without saying
 * who it is (Signal's scheme).
 *
 *   UAK = first 16 bytes of AES-256-GCM(key = profileKey, nonce = 0^12, plaintext = 0^16)
 *
 * The recipient shares its profile key only with contacts, so knowing UAK
 * shows "someone the recipient let message it", not who. The recipient
 * registers UAK with the relay; the relay keeps only SHA-256(UAK) (a stolen
 * database does not let anyone send) and compares hashes in constant time.
 */
import { createCipheriv, createHash, timingSafeEqual } from 'node:crypto';

/** Length of an unidentified-access key. */
export const ACCESS_KEY_LENGTH = 16;

/** Derives the 16-byte UAK from a 32-byte profile key (what clients do). */
export function deriveAccessKey(profileKey: Uint8Array): Uint8Array {
  if (!(profileKey instanceof Uint8Array) || profileKey.length !== 32) throw new TypeError('profile key must be 32 bytes');
  const cipher = createCipheriv('aes-256-gcm', profileKey, Buffer.alloc(12));
  const ct = Buffer.concat([cipher.update(Buffer.alloc(16)), cipher.final()]);
  return new Uint8Array(ct.subarray(0, ACCESS_KEY_LENGTH));
}

/** SHA-256 of a UAK: what the relay stores. */
export function hashAccessKey(accessKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(accessKey).digest());
}

/** Constant-time check of a presented UAK against the stored hash. */
export function accessKeyMatches(presented: Uint8Array, storedHash: Uint8Array | undefined): boolean {
  const h = hashAccessKey(presented);
  // Compare against a dummy when nothing is registered, so timing does not reveal registration.
  const target = storedHash !== undefined && storedHash.length === h.length ? storedHash : new Uint8Array(h.length);
  const same = timingSafeEqual(h, target);
  return same && storedHash !== undefined;
}

/** Parses a base64 UAK header value; undefined if absent or malformed. */
export function parseAccessKeyHeader(value: string | string[] | undefined): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  if (!/^[A-Za-z0-9+/]{22}(==)?$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === ACCESS_KEY_LENGTH ? new Uint8Array(bytes) : undefined;
}
