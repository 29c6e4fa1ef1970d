/**
 * Device secrets: each device picks 32 random bytes, sends them once (at
 * account creation or linking) and then in every request's Basic auth. The
 * server keeps only SHA-256("sealpost-device-secret-v1" ‖ secret).
 *
 * Why a plain hash and not scrypt/argon2: those slow functions protect
 * low-entropy passwords from guessing after a database leak. A 256-bit
 * uniformly random secret cannot be guessed from its hash however fast the
 * hash is, so a slow KDF would only cost CPU on every request (the bundle
 * endpoint serves thousands of requests a second). The domain prefix keeps
 * the stored value from doubling as any other hash of the same bytes.
 */
import { constantTimeEqual, sha256, utf8Encode } from '@sealpost/protocol/primitives';

/** Length of a device secret in bytes. */
export const DEVICE_SECRET_LENGTH = 32;

const DOMAIN = utf8Encode('sealpost-device-secret-v1');

/** The stored form of a device secret. */
export function hashDeviceSecret(secret: Uint8Array): Uint8Array {
  return sha256(DOMAIN, secret);
}

/** Compares a presented secret with a stored hash in constant time. */
export function deviceSecretMatches(secret: Uint8Array, storedHash: Uint8Array): boolean {
  const presented = hashDeviceSecret(secret);
  return presented.length === storedHash.length && constantTimeEqual(presented, storedHash);
}
