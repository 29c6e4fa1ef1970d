/**
 * The relay's half of unidentified-access keys (UAK; derivation is the
 * protocol's `deriveAccessKey`). The recipient registers UAK with the relay;
 * the relay keeps only SHA-256(UAK) (a stolen database does not let anyone
 * send) and compares hashes in constant time.
 */
import { ACCESS_KEY_LENGTH } from '@sealpost/protocol';
import { constantTimeEqual, sha256 } from '@sealpost/protocol/primitives';
import { parseBase64 } from '@sealpost/service-kit';

/** SHA-256 of a UAK: what the relay stores. */
export function hashAccessKey(accessKey: Uint8Array): Uint8Array {
  return sha256(accessKey);
}

/** Constant-time check of a presented UAK against the stored hash. */
export function accessKeyMatches(presented: Uint8Array, storedHash: Uint8Array | undefined): boolean {
  const h = hashAccessKey(presented);
  // Compare against a dummy when nothing is registered, so timing does not reveal registration.
  const target = storedHash !== undefined && storedHash.length === h.length ? storedHash : new Uint8Array(h.length);
  const same = constantTimeEqual(h, target);
  return same && storedHash !== undefined;
}

/** Parses a base64 UAK (header value or JSON field); undefined if absent or not strict base64 of 16 bytes. */
export function parseAccessKey(value: string | string[] | undefined): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length !== 24) return undefined;
  const bytes = parseBase64(value);
  return bytes?.length === ACCESS_KEY_LENGTH ? bytes : undefined;
}
