/**
 * Unidentified-access keys: the proof a sealed sender shows without saying
 * who it is (Signal's scheme, libsignal zkgroup `ProfileKey::derive_access_key`).
 *
 *   UAK = first 16 bytes of AES-256-GCM(key = profileKey, nonce = 0^12, plaintext = 0^16)
 *
 * The recipient shares its profile key only with contacts, so knowing UAK
 * shows "someone the recipient let message it", not who. Clients derive it;
 * the relay stores only a hash of it (that part is the relay's).
 */
import { InvalidKeyError } from './errors.ts';
import { aes256GcmEncrypt } from './primitives/index.ts';

/** Length of an unidentified-access key. */
export const ACCESS_KEY_LENGTH = 16;
/** Length of a profile key. */
export const PROFILE_KEY_LENGTH = 32;

const ZERO_NONCE = new Uint8Array(12);
const ZERO_BLOCK = new Uint8Array(16);

/** Derives the 16-byte unidentified-access key from a 32-byte profile key. */
export function deriveAccessKey(profileKey: Uint8Array): Uint8Array {
  if (!(profileKey instanceof Uint8Array) || profileKey.length !== PROFILE_KEY_LENGTH) {
    throw new InvalidKeyError('profile key must be 32 bytes');
  }
  return aes256GcmEncrypt(profileKey, ZERO_NONCE, ZERO_BLOCK).slice(0, ACCESS_KEY_LENGTH);
}
