/** Typed attachment failures: one class, a `reason` per check that failed. */

export type AttachmentIntegrityReason =
  /** Blob shorter or longer than `ciphertextSize(size)`, or the plaintext shorter than `size`. */
  | 'LENGTH'
  /** SHA-256 of the blob differs from the pointer's digest. */
  | 'DIGEST'
  /** The HMAC over `iv ‖ ciphertext` does not verify. */
  | 'MAC'
  /** A prefix MAC of the incremental MAC does not verify, or the MAC list has the wrong shape. */
  | 'INCREMENTAL_MAC'
  /** PKCS#7 padding is wrong, or the padding after `size` is not zeros. */
  | 'PADDING'
  /** SHA-256 of the plaintext differs from the expected plaintext hash. */
  | 'PLAINTEXT_HASH';

/** An attachment failed verification; nothing it produced may be used. */
export class AttachmentIntegrityError extends Error {
  readonly code = 'ATTACHMENT_INTEGRITY';
  readonly reason: AttachmentIntegrityReason;
  constructor(reason: AttachmentIntegrityReason, message: string) {
    super(message);
    this.name = 'AttachmentIntegrityError';
    this.reason = reason;
  }
}
