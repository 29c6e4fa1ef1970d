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
  | 'INVALID_RECORD'
  | 'NO_SENDER_KEY_STATE'
  | 'INVALID_SENDER_KEY_SESSION'
  | 'FINGERPRINT_VERSION_MISMATCH'
  | 'FINGERPRINT_PARSE_ERROR';

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

// ---- session (Double Ratchet / PQXDH) errors ----

/** A message is malformed or cannot be processed (bad protobuf, missing field, failed decryption). */
export class InvalidMessageError extends SealpostError {
  constructor(message: string) {
    super('INVALID_MESSAGE', message);
  }
}

/** A message carries a version byte we do not speak (or one that does not match the session). */
export class InvalidVersionError extends SealpostError {
  readonly version: number;
  constructor(version: number, message: string) {
    super('INVALID_VERSION', message);
    this.version = version;
  }
}

/** A message's truncated HMAC does not verify under any candidate session. */
export class BadMacError extends SealpostError {
  constructor(message: string) {
    super('BAD_MAC', message);
  }
}

/** A message whose key was already used (a replay or a duplicate delivery). */
export class DuplicateMessageError extends SealpostError {
  readonly counter: number;
  constructor(counter: number, message: string) {
    super('DUPLICATE_MESSAGE', message);
    this.counter = counter;
  }
}

/** The caller's trust decision refused the peer's identity key. */
export class UntrustedIdentityError extends SealpostError {
  /** The refused identity key, 0x05-prefixed (public data). */
  readonly identityKey: Uint8Array;
  constructor(identityKey: Uint8Array, message: string) {
    super('UNTRUSTED_IDENTITY', message);
    this.identityKey = identityKey;
  }
}

/** There is no session able to perform the operation (none, or a stale unacknowledged one). */
export class NoSessionError extends SealpostError {
  constructor(message: string) {
    super('NO_SESSION', message);
  }
}

/** A PreKeySignalMessage names a prekey we do not hold. */
export class UnknownPreKeyError extends SealpostError {
  readonly kind: 'one-time' | 'signed' | 'kyber';
  readonly preKeyId: number;
  constructor(kind: 'one-time' | 'signed' | 'kyber', preKeyId: number) {
    super('UNKNOWN_PREKEY', `unknown ${kind} prekey id ${preKeyId}`);
    this.kind = kind;
    this.preKeyId = preKeyId;
  }
}

/** A message's counter is further ahead of its chain than the skipped-key bound allows. */
export class TooFarInFutureError extends SealpostError {
  constructor(message: string) {
    super('TOO_FAR_IN_FUTURE', message);
  }
}

/** A serialized record (session, prekey) is malformed. */
export class InvalidRecordError extends SealpostError {
  constructor(message: string) {
    super('INVALID_RECORD', message);
  }
}

// ---- group (sender key) errors ----

/** No sender-key state for the message's distribution id and chain id (libsignal `NoSenderKeyState`). */
export class NoSenderKeyStateError extends SealpostError {
  readonly distributionId: string;
  constructor(distributionId: string, message: string) {
    super('NO_SENDER_KEY_STATE', message);
    this.distributionId = distributionId;
  }
}

/**
 * A sender-key state cannot do what was asked: encrypting with a member's
 * copy (no private signing key), a chain iteration overflow, a stored key
 * of the wrong length (libsignal `InvalidSenderKeySession`).
 */
export class InvalidSenderKeySessionError extends SealpostError {
  constructor(message: string) {
    super('INVALID_SENDER_KEY_SESSION', message);
  }
}

// ---- fingerprint (safety number) errors ----

/** A scanned fingerprint is malformed or uses another fingerprint version. */
export class FingerprintError extends SealpostError {
  constructor(code: 'FINGERPRINT_VERSION_MISMATCH' | 'FINGERPRINT_PARSE_ERROR', message: string) {
    super(code, message);
  }
}

// ---- sealed sender errors (same codes as above; `sealed sender: ` message prefix) ----

/** A sealed-sender message is malformed or truncated. */
export class InvalidSealedMessageError extends InvalidMessageError {
  constructor(message: string) {
    super(`sealed sender: ${message}`);
  }
}

/** A sealed-sender message failed authentication (MAC, AEAD tag, key check). */
export class SealedDecryptionError extends DecryptionError {
  constructor(message: string) {
    super('DECRYPTION_FAILED', `sealed sender: ${message}`);
  }
}

/** The version byte names a sealed-sender version we cannot read. */
export class UnknownSealedVersionError extends InvalidVersionError {
  constructor(version: number) {
    super(version, `sealed sender: unknown version ${version}`);
  }
}

/** A sender or server certificate is malformed, untrusted, expired or does not match the sender. */
export class InvalidCertificateError extends SealpostError {
  constructor(message: string) {
    super('INVALID_CERTIFICATE', `sealed sender: ${message}`);
  }
}

