/** HMAC-SHA256 via node:crypto (OpenSSL). */
import { createHmac } from 'node:crypto';
import { checkBytes } from './bytes.ts';

/** HMAC-SHA256(key, data) -> 32 bytes. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBytes('HMAC key', key);
  checkBytes('HMAC data', data);
  const h = createHmac('sha256', key);
  h.update(data);
  return new Uint8Array(h.digest());
}
