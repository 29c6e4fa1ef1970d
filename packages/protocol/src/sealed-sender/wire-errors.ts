/**
 * Typed errors for sealed sender, built on the shared `SealpostError` so
 * callers switch on the same `code`s as everywhere else in the protocol.
 */
import { SealpostError } from '../errors.ts';

/** A sealed-sender message is malformed, truncated or of an unknown version. */
export function invalidSealedMessage(message: string): SealpostError {
  return new SealpostError('INVALID_MESSAGE', `sealed sender: ${message}`);
}

/** A sealed-sender message failed authentication (MAC, AEAD tag, key check). */
export function sealedDecryptFailed(message: string): SealpostError {
  return new SealpostError('DECRYPTION_FAILED', `sealed sender: ${message}`);
}

/** The version byte names a sealed-sender version we cannot read. */
export function unknownSealedVersion(version: number): SealpostError {
  return new SealpostError('INVALID_VERSION', `sealed sender: unknown version ${version}`);
}

/** The sender certificate is untrusted, expired or does not match the sender. */
export function invalidSenderCertificate(message: string): SealpostError {
  return new SealpostError('INVALID_CERTIFICATE', `sealed sender: ${message}`);
}
