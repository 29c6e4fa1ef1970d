/** Typed attachment failures of the client (each with a stable `code`). */

export type AttachmentErrorCode =
  /** Larger than the key server or blob service allows (413). */
  | 'TOO_LARGE'
  /** This device's upload rate or byte quota is used up (429); see `retryAfterSeconds`. */
  | 'QUOTA_EXCEEDED'
  /** The blob service is out of space (507); retry later. */
  | 'STORAGE_FULL'
  /** The blob is gone (expired or deleted, 404), or the upload capability expired (401). */
  | 'EXPIRED'
  /** The blob failed verification (digest, MAC, incremental MAC, length, padding); nothing was written. */
  | 'TAMPERED'
  /** The blob service could not be reached, or the connection broke more often than the retry budget. */
  | 'NETWORK'
  /** The caller aborted; a path or buffer upload can be resumed. */
  | 'ABORTED'
  /** The source file changed since the upload began (resume refused). */
  | 'SOURCE_CHANGED'
  /** Bad arguments, or an answer the SDK does not understand. */
  | 'INVALID';

export class AttachmentError extends Error {
  readonly code: AttachmentErrorCode;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** For TAMPERED: which check failed (LENGTH, DIGEST, MAC, INCREMENTAL_MAC, PADDING, PLAINTEXT_HASH). */
  readonly reason: string | undefined;
  constructor(code: AttachmentErrorCode, message: string, extra: { status?: number; retryAfterSeconds?: number; reason?: string; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'AttachmentError';
    this.code = code;
    this.status = extra.status;
    this.retryAfterSeconds = extra.retryAfterSeconds;
    this.reason = extra.reason;
  }
}

/** The error for an HTTP status from the key server or blob service. */
export function attachmentErrorForStatus(status: number, what: string, retryAfter?: number): AttachmentError {
  const extra = { status, ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }) };
  if (status === 413) return new AttachmentError('TOO_LARGE', `${what}: too large`, extra);
  if (status === 429) return new AttachmentError('QUOTA_EXCEEDED', `${what}: quota exceeded`, extra);
  if (status === 507) return new AttachmentError('STORAGE_FULL', `${what}: blob service storage is full`, extra);
  if (status === 404 || status === 410) return new AttachmentError('EXPIRED', `${what}: blob not found (expired or deleted)`, extra);
  if (status === 401) return new AttachmentError('EXPIRED', `${what}: upload capability rejected (expired)`, extra);
  return new AttachmentError('INVALID', `${what}: unexpected status ${status}`, extra);
}
