/** The version byte opening sender-key messages (libsignal `protocol.rs`). */
import { InvalidMessageError, InvalidVersionError } from '../errors.ts';
import { SENDERKEY_MESSAGE_CURRENT_VERSION } from './constants.ts';

/** `(messageVersion << 4) | 3`: 0x33 for the current version. */
export function senderKeyVersionByte(messageVersion: number): number {
  return ((messageVersion & 0xf) << 4) | SENDERKEY_MESSAGE_CURRENT_VERSION;
}

/**
 * Reads the high nibble of the version byte as libsignal does: below 3 is a
 * legacy version, above 3 an unrecognized one. The low nibble is not checked.
 */
export function readSenderKeyVersion(bytes: Uint8Array, what: string): number {
  if (bytes.length === 0) throw new InvalidMessageError(`${what} is empty`);
  const version = bytes[0]! >> 4;
  if (version < SENDERKEY_MESSAGE_CURRENT_VERSION) {
    throw new InvalidVersionError(version, `${what}: legacy ciphertext version ${version}`);
  }
  if (version > SENDERKEY_MESSAGE_CURRENT_VERSION) {
    throw new InvalidVersionError(version, `${what}: unrecognized ciphertext version ${version}`);
  }
  return version;
}
