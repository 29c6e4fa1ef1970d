/** The version byte that opens every 1:1 ciphertext message. */
import { InvalidMessageError, InvalidVersionError } from '../errors.ts';
import {
  CIPHERTEXT_MESSAGE_CURRENT_VERSION,
  CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION,
} from '../ratchet/constants.ts';

/**
 * `(messageVersion << 4) | CURRENT_VERSION`: high nibble is the session's
 * version, low nibble the highest version the sender understands (libsignal
 * always writes 4 there).
 */
export function versionByte(messageVersion: number): number {
  return ((messageVersion & 0xf) << 4) | CIPHERTEXT_MESSAGE_CURRENT_VERSION;
}

/** Reads and checks the message version (high nibble) of a framed message. */
export function readMessageVersion(bytes: Uint8Array, what: string): number {
  if (bytes.length === 0) throw new InvalidMessageError(`${what} is empty`);
  const version = bytes[0]! >> 4;
  if (version < CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION) {
    throw new InvalidVersionError(version, `${what}: legacy ciphertext version ${version}`);
  }
  if (version > CIPHERTEXT_MESSAGE_CURRENT_VERSION) {
    throw new InvalidVersionError(version, `${what}: unrecognized ciphertext version ${version}`);
  }
  return version;
}
