/** HMAC-SHA256 via node:crypto (OpenSSL). */
import { createHmac } from 'node:crypto';
import { checkBytes } from './bytes.ts';

/**
 * HMAC-SHA256(key, data[0] ‖ data[1] ‖ …) -> 32 bytes. Several parts are fed
 * to the MAC in order, so a caller MACing a concatenation (libsignal's
 * message MAC covers both identity keys and the message) need not build it.
 */
export function hmacSha256(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  checkBytes('HMAC key', key);
  const hmac = createHmac('sha256', key);
  for (const part of data) hmac.update(checkBytes('HMAC data', part));
  const digest = hmac.digest();
  // The digest Buffer owns its own 32-byte ArrayBuffer (not the shared pool),
  // so a view is safe and saves a copy: the ratchet calls this ~7 times a message.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
