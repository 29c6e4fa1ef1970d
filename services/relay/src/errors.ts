/**
 * The relay's error codes. Errors leave through the service kit's one error
 * handler as `{ error: { code, message, ...details } }` with their status;
 * some carry extra lists (mismatched or stale devices) inside `error`, so a
 * sender can fix its device set and retry.
 */
import { HttpError, type HttpErrorOptions } from '@sealpost/service-kit';

/** Codes the relay answers with (besides the kit's own, e.g. INVALID_REQUEST, NOT_FOUND). */
export const RELAY_ERROR_CODES = [
  /** 401: no valid relay credential. */
  'UNAUTHORIZED',
  /** 401: no or a wrong unidentified-access key on a send. */
  'UNAUTHORIZED_ACCESS',
  /** 403: a credential of another account. */
  'FORBIDDEN',
  /** 400: an access key that is not base64 of 16 bytes. */
  'BAD_ACCESS_KEY',
  /** 400: envelope content that is not a sealed sender envelope. */
  'MALFORMED_ENVELOPE',
  /** 413: an envelope over `maxEnvelopeBytes`. */
  'ENVELOPE_TOO_LARGE',
  /** 413: a multi-recipient send over `maxRecipientsPerSend`. */
  'TOO_MANY_RECIPIENTS',
  /** 400: one device addressed twice. */
  'DUPLICATE_DEVICE',
  /** 404: the key server knows no such account. */
  'UNKNOWN_ACCOUNT',
  /** 410: the recipient account was deleted (the key server says so); nothing is queued for it again. */
  'ACCOUNT_DELETED',
  /** 404: no such envelope in this device queue. */
  'UNKNOWN_ENVELOPE',
  /** 409: the envelope set does not match the account's devices (details: missing/extra lists). */
  'MISMATCHED_DEVICES',
  /** 410: some devices changed registration id (details: stale list). */
  'STALE_DEVICES',
  /** 429: a recipient device queue is full, in envelopes or bytes (Retry-After). */
  'QUEUE_FULL',
  /** 429: this source has sent too much, to this recipient or overall (Retry-After). */
  'RATE_LIMITED',
  /** 503: the key server is down, slow or answered an error (Retry-After). */
  'KEYSERVER_UNAVAILABLE',
  /** 503: the relay is at its connection limit (Retry-After). */
  'UNAVAILABLE',
  /** 507: the relay's disk is nearly full; no new envelopes until space is freed (Retry-After). */
  'INSUFFICIENT_STORAGE',
] as const;

/** A code the relay itself answers with. */
export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

/** An `HttpError` with a relay code (the type keeps codes to the list above). */
export function relayError(status: number, code: RelayErrorCode, message: string, options?: HttpErrorOptions): HttpError<RelayErrorCode> {
  return new HttpError<RelayErrorCode>(status, code, message, options);
}
