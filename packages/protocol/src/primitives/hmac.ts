/** HMAC-SHA256 via node:crypto (OpenSSL). */
import { createHmac } from 'node:crypto';
import { checkBytes } from './bytes.ts';

/** HMAC-SHA256(key, data) -> 32 bytes. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBytes('HMAC key', key);
  checkBytes('HMAC data', data);
  const digest = createHmac('sha256', key).update(data).digest();
  // The digest Buffer owns its own 32-byte ArrayBuffer (not the shared pool),
  // so a view is safe and saves a copy: the ratchet calls this ~7 times a message.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
