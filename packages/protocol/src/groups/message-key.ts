/**
 * Sender message keys (libsignal `SenderMessageKey::new`, sender_keys.rs):
 *
 *   iv (16) || cipher key (32) = HKDF-SHA256(salt = none, ikm = seed, info = "WhisperGroup", 48)
 *
 * There is no MAC key: a group message is authenticated by its signature.
 */
import { checkBytes, hkdfSha256 } from '../primitives/index.ts';
import { SENDER_CHAIN_KEY_LENGTH } from './constants.ts';

const WHISPER_GROUP = new TextEncoder().encode('WhisperGroup');
const NO_SALT = new Uint8Array(0);

/** The keys protecting one group message. */
export interface SenderMessageKey {
  readonly iteration: number;
  readonly iv: Uint8Array;
  readonly cipherKey: Uint8Array;
}

/** Expands a 32-byte message-key seed for `iteration`. */
export function deriveSenderMessageKey(iteration: number, seed: Uint8Array): SenderMessageKey {
  checkBytes('sender message key seed', seed, SENDER_CHAIN_KEY_LENGTH);
  const okm = hkdfSha256(seed, NO_SALT, WHISPER_GROUP, 48);
  return { iteration, iv: okm.subarray(0, 16), cipherKey: okm.subarray(16, 48) };
}
