/**
 * Typed errors for every failure the protocol layer reports.
 *
 * Every error carries a stable machine-readable `code` (callers switch on it)
 * and a message meant for developers. Messages never include secret material.
 */
export type SealpostErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_KEY'
  | 'INVALID_SIGNATURE'
  | 'DECRYPTION_FAILED'
  | 'BAD_PADDING'
  | 'BAD_TAG'
  | 'INVALID_MESSAGE'
  | 'INVALID_VERSION'
  | 'BAD_MAC'
  | 'DUPLICATE_MESSAGE'
  | 'UNTRUSTED_IDENTITY'
  | 'NO_SESSION'
  | 'UNKNOWN_PREKEY'
  | 'TOO_FAR_IN_FUTURE'
  | 'INVALID_CERTIFICATE'
  | 'INVALID_RECORD';

export class SealpostError extends Error {
  readonly code: SealpostErrorCode;
  constructor(code: SealpostErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A caller passed a value of the wrong type or length. */
export class InvalidArgumentError extends SealpostError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A key is malformed: wrong length, wrong type prefix, not a canonical point. */
export class InvalidKeyError extends SealpostError {
  constructor(message: string) {
    super('INVALID_KEY', message);
  }
}

/** A signature does not verify. */
export class InvalidSignatureError extends SealpostError {
  constructor(message: string) {
    super('INVALID_SIGNATURE', message);
  }
}

/** Symmetric decryption failed (bad padding, bad AEAD tag, short ciphertext). */
export class DecryptionError extends SealpostError {
  constructor(code: 'DECRYPTION_FAILED' | 'BAD_PADDING' | 'BAD_TAG', message: string) {
    super(code, message);
  }
}
