/** The blob service's error codes; every failure leaves as `{ error: { code, message } }`. */
import { HttpError, type HttpErrorOptions, type KitErrorCode } from '@sealpost/service-kit';

export type BlobErrorCode =
  | KitErrorCode
  /** 401: no, a malformed, forged, expired or foreign upload capability. */
  | 'UNAUTHORIZED'
  /** 404: no such blob, not complete yet, or expired. */
  | 'BLOB_NOT_FOUND'
  /** 409: the blob key already exists, or the upload offset does not match. */
  | 'CONFLICT'
  /** 413: larger than the capability or the server allows. */
  | 'BLOB_TOO_LARGE'
  /** 416: the Range cannot be satisfied. */
  | 'RANGE_NOT_SATISFIABLE'
  /** 423: another request is writing this upload. */
  | 'LOCKED'
  /** 429: upload rate or byte quota of this device exhausted (Retry-After). */
  | 'QUOTA_EXCEEDED'
  /** 507: the server's storage is full. */
  | 'INSUFFICIENT_STORAGE'
  | 'TUS_ERROR';

export class BlobError extends HttpError<BlobErrorCode> {
  constructor(status: number, code: BlobErrorCode, message: string, options?: HttpErrorOptions) {
    super(status, code, message, options);
    this.name = 'BlobError';
  }

  /** The shape @tus/server's hooks throw (`{ status_code, body }`), so one error serves both paths. */
  get status_code(): number {
    return this.statusCode;
  }

  get body(): string {
    return errorBody(this.code, this.message);
  }
}

/** The JSON error body (for the tus handler, which writes its own responses). */
export function errorBody(code: BlobErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
