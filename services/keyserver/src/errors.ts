/**
 * The key server's errors: the kit's `HttpError` narrowed to the codes this
 * service answers with. Every failure leaves as
 * `{ "error": { "code", "message" } }` with a matching status (the kit's
 * error handler); codes are stable strings clients can switch on.
 */
import { HttpError, type HttpErrorOptions, type KitErrorCode } from '@sealpost/service-kit';

/** Every code the key server answers with. */
export type KeyServerErrorCode =
  | KitErrorCode
  /** 401 on every authentication failure (one message for unknown account, device and wrong secret). */
  | 'UNAUTHORIZED'
  /** 403: authenticated, but not allowed to do this. */
  | 'FORBIDDEN'
  /** 429 with Retry-After. */
  | 'RATE_LIMITED'
  | 'UNKNOWN_ACCOUNT'
  /** 410 (401 for the deleted account's own devices): the account was deleted; its id is never issued again. */
  | 'ACCOUNT_DELETED'
  | 'UNKNOWN_DEVICE'
  /** No device of the account has a signed prekey and a last-resort key. */
  | 'NO_PREKEYS'
  | 'INVALID_PROVISIONING_CODE'
  | 'DEVICE_LIMIT'
  /** 409: all linked-device ids (2..127) of the account were used once; ids are never reused. */
  | 'DEVICE_IDS_EXHAUSTED'
  /** 429: the account has the most outstanding provisioning codes allowed. */
  | 'TOO_MANY_PROVISIONING_CODES'
  /** 400/403: a relay credential was asked for an audience this server does not issue for. */
  | 'BAD_AUDIENCE'
  /** A key does not start with its type byte. */
  | 'BAD_KEY_TYPE'
  /** 422: a prekey signature does not verify with the identity key. */
  | 'INVALID_SIGNATURE'
  | 'DUPLICATE_KEY_ID'
  | 'TOO_MANY_KEYS'
  | 'EMPTY_UPLOAD'
  /** 403 (503 when the server cannot track more): the registration gate refused account creation. */
  | 'REGISTRATION_REFUSED'
  /** 503: the server has no key for sender certificates or relay credentials. */
  | 'NOT_CONFIGURED'
  /** 503 with Retry-After: the database cannot be reached, is out of space or did not answer in time (PostgreSQL store). */
  | 'STORE_UNAVAILABLE'
  /** 404: the label has no version in the checkpoint searches prove against (key transparency). */
  | 'KT_LABEL_NOT_LOGGED'
  /** 503: key transparency is not configured on this server. */
  | 'KT_DISABLED'
  /** 404: no account has this handle. */
  | 'UNKNOWN_HANDLE'
  /** 409: another account has this handle. */
  | 'HANDLE_TAKEN'
  /** 409: the account already has another handle (permanent in phase 1). */
  | 'HANDLE_ALREADY_SET';

/** An `HttpError` with one of the key server's codes. */
export class KeyServerError extends HttpError<KeyServerErrorCode> {
  constructor(status: number, code: KeyServerErrorCode, message: string, options?: HttpErrorOptions) {
    super(status, code, message, options);
    this.name = 'KeyServerError';
  }
}

/** 400: the request is well-formed JSON but its content is not acceptable. */
export function badRequest(code: KeyServerErrorCode, message: string): KeyServerError {
  return new KeyServerError(400, code, message);
}

/** 401 with a Basic challenge. */
export function unauthorized(message: string): KeyServerError {
  return new KeyServerError(401, 'UNAUTHORIZED', message, { headers: { 'www-authenticate': 'Basic realm="sealpost-keyserver"' } });
}

/** 403: authenticated, but not allowed to do this. */
export function forbidden(message: string): KeyServerError {
  return new KeyServerError(403, 'FORBIDDEN', message);
}

/** 404. */
export function notFound(code: KeyServerErrorCode, message: string): KeyServerError {
  return new KeyServerError(404, code, message);
}

/** 410 `ACCOUNT_DELETED`: the account existed and was deleted (its tombstone). */
export function accountDeleted(): KeyServerError {
  return new KeyServerError(410, 'ACCOUNT_DELETED', 'this account was deleted');
}

/** 404 `UNKNOWN_ACCOUNT`, or 410 `ACCOUNT_DELETED` when the account has a tombstone. */
export async function missingAccount(store: { accountDeleted(accountId: string): Promise<boolean> }, accountId: string): Promise<KeyServerError> {
  return (await store.accountDeleted(accountId)) ? accountDeleted() : notFound('UNKNOWN_ACCOUNT', 'no such account');
}

/** 409: the request conflicts with what is stored. */
export function conflict(code: KeyServerErrorCode, message: string): KeyServerError {
  return new KeyServerError(409, code, message);
}
