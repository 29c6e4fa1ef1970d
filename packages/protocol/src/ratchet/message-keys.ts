/**
 * Message keys (libsignal `MessageKeys::derive_keys`): from a message-key
 * seed MK = HMAC(C_{i,j}, 0x01),
 *
 *   cipher key (32) || mac key (32) || iv (16)
 *     = HKDF-SHA256(salt = none, ikm = MK, info = "WhisperMessageKeys", 80)
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

/** Expands a 32-byte message-key seed into cipher key, MAC key and IV. */
export function deriveMessageKeys(seed: Uint8Array): MessageKeys {
  checkBytes('message key seed', seed, 32);
  const okm = hkdfSha256(seed, NO_SALT, WHISPER_MESSAGE_KEYS, 80);
  return { cipherKey: okm.subarray(0, 32), macKey: okm.subarray(32, 64), iv: okm.subarray(64, 80) };
}
