/**
 * Sealed sender v1 key schedule (libsignal `sealed_sender_v1`).
 *
 * Ephemeral layer, with E the sender's ephemeral pair and R the recipient's
 * identity key (both serialized `0x05 ‖ u`):
 *   (chain, cipher_e, mac_e) = HKDF(ikm = DH(E, R), salt = "UnidentifiedDelivery" ‖ R ‖ E, info = "", 96)
 * Static layer, with S the sender's identity and c_s the encrypted static key:
 *   (_, cipher_s, mac_s)     = HKDF(ikm = DH(S, R), salt = chain ‖ c_s, info = "", 96)
 * Both layers encrypt with AES-256-CTR (zero IV) and append HMAC-SHA256
 * truncated to 10 bytes.
 */
import { SealedDecryptionError } from '../errors.ts';
import { concatBytes } from '../primitives/bytes.ts';
import { aes256Ctr, constantTimeEqual, hkdfSha256, hmacSha256, x25519Agree } from '../primitives/index.ts';
import { serializeCurvePublicKey } from '../keys/curve-key.ts';

const SALT_PREFIX = new TextEncoder().encode('UnidentifiedDelivery');
const EMPTY = new Uint8Array(0);
const ZERO_IV = new Uint8Array(16);
/** Length of the truncated HMAC appended to each v1 ciphertext. */
export const V1_MAC_LENGTH = 10;

/** Keys of the ephemeral layer. */
export interface V1EphemeralKeys {
  chainKey: Uint8Array;
  cipherKey: Uint8Array;
  macKey: Uint8Array;
}

/** Keys of the static (sender identity) layer. */
export interface V1StaticKeys {
  cipherKey: Uint8Array;
  macKey: Uint8Array;
}

/**
 * Ephemeral-layer keys. `agreement` is DH(E, R) (either side computes it);
 * `recipientPublic` and `ephemeralPublic` are raw 32-byte keys.
 */
export function v1EphemeralKeys(agreement: Uint8Array, recipientPublic: Uint8Array, ephemeralPublic: Uint8Array): V1EphemeralKeys {
  const salt = concatBytes(SALT_PREFIX, serializeCurvePublicKey(recipientPublic), serializeCurvePublicKey(ephemeralPublic));
  const okm = hkdfSha256(agreement, salt, EMPTY, 96);
  return { chainKey: okm.slice(0, 32), cipherKey: okm.slice(32, 64), macKey: okm.slice(64, 96) };
}

/** Static-layer keys from DH(S, R), the ephemeral chain key and the encrypted static key. */
export function v1StaticKeys(agreement: Uint8Array, chainKey: Uint8Array, encryptedStatic: Uint8Array): V1StaticKeys {
  const okm = hkdfSha256(agreement, concatBytes(chainKey, encryptedStatic), EMPTY, 96);
  // The first 32 bytes are discarded, mirroring the ephemeral layer's layout.
  return { cipherKey: okm.slice(32, 64), macKey: okm.slice(64, 96) };
}

/** AES-256-CTR (zero IV) then HMAC-SHA256 truncated to 10 bytes, appended. */
export function ctrHmacEncrypt(plaintext: Uint8Array, cipherKey: Uint8Array, macKey: Uint8Array): Uint8Array {
  const ciphertext = aes256Ctr(cipherKey, ZERO_IV, plaintext);
  return concatBytes(ciphertext, hmacSha256(macKey, ciphertext).subarray(0, V1_MAC_LENGTH));
}

/** Inverse of `ctrHmacEncrypt`; checks the MAC in constant time before decrypting. */
export function ctrHmacDecrypt(data: Uint8Array, cipherKey: Uint8Array, macKey: Uint8Array, what: string): Uint8Array {
  if (data.length < V1_MAC_LENGTH) throw new SealedDecryptionError(`${what} is truncated`);
  const ciphertext = data.subarray(0, data.length - V1_MAC_LENGTH);
  const mac = data.subarray(data.length - V1_MAC_LENGTH);
  if (!constantTimeEqual(hmacSha256(macKey, ciphertext).subarray(0, V1_MAC_LENGTH), mac)) {
    throw new SealedDecryptionError(`${what}: MAC verification failed`);
  }
  return aes256Ctr(cipherKey, ZERO_IV, ciphertext);
}

/** DH helper kept here so both seal and open read the same. */
export function agree(privateKey: Uint8Array, publicRaw: Uint8Array): Uint8Array {
  return x25519Agree(privateKey, publicRaw);
}
