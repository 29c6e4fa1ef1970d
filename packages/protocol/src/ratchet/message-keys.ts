/**
 * Message keys (libsignal `MessageKeys::derive_keys`): from a message-key
 * seed MK = HMAC(C_{i,j}, 0x01),
 *
 *   cipher key (32) || mac key (32) || iv (16)
 *     = HKDF-SHA256(salt = S, ikm = MK, info = "WhisperMessageKeys", 80)
 *
 * where S is none for the Double Ratchet alone and the SPQR message key
 * once the triple ratchet mixes it in (libsignal `MessageKeys::derive_keys`
 * with `optional_salt`, keys.rs).
 *
 * Skipped keys are stored as the seed (libsignal's current record layout)
 * and expanded only when used.
 */
import { checkBytes, hkdfSha256 } from '../primitives/index.ts';

const WHISPER_MESSAGE_KEYS = new TextEncoder().encode('WhisperMessageKeys');
const NO_SALT = new Uint8Array(0);

/** The three keys protecting one message. */
export interface MessageKeys {
  readonly cipherKey: Uint8Array;
  readonly macKey: Uint8Array;
  readonly iv: Uint8Array;
}

/**
 * Expands a 32-byte message-key seed into cipher key, MAC key and IV.
 * `salt` (the SPQR message key) is the HKDF salt when given; without it the
 * output is the Double Ratchet's (no salt).
 */
export function deriveMessageKeys(seed: Uint8Array, salt?: Uint8Array): MessageKeys {
  checkBytes('message key seed', seed, 32);
  const okm = hkdfSha256(seed, salt === undefined ? NO_SALT : checkBytes('message key salt', salt), WHISPER_MESSAGE_KEYS, 80);
  return { cipherKey: okm.subarray(0, 32), macKey: okm.subarray(32, 64), iv: okm.subarray(64, 80) };
}
