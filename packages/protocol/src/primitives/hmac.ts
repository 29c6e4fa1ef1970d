/** HMAC-SHA256 from the active backend (node: OpenSSL; web: @noble/hashes). */
import { backend } from '#primitives-backend';
import { checkBytes } from './bytes.ts';

/**
 * HMAC-SHA256(key, data[0] ‖ data[1] ‖ …) -> 32 bytes. Several parts are fed
 * to the MAC in order, so a caller MACing a concatenation (libsignal's
 * message MAC covers both identity keys and the message) need not build it.
 * The result owns its memory.
 */
export function hmacSha256(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  checkBytes('HMAC key', key);
  for (const part of data) checkBytes('HMAC data', part);
  return backend.hmacSha256(key, data);
}
