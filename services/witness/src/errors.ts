/**
 * The witness's typed errors. `WitnessError` is the kit's `HttpError`, so the
 * kit's error handler answers it as `{ error: { code, message } }` with its
 * status (and headers: Retry-After on 429).
 */
import { HttpError, type HttpErrorOptions, type KitErrorCode } from '@sealpost/service-kit';

export type WitnessErrorCode =
  | KitErrorCode
  | 'MALFORMED'
  | 'UNKNOWN_LOG'
  | 'SIGNATURE_INVALID'
  | 'OLD_SIZE_TOO_LARGE'
  | 'CONSISTENCY_PROOF_INVALID'
  | 'BAD_EMPTY_ROOT'
  | 'RATE_LIMITED';

export class WitnessError extends HttpError<WitnessErrorCode> {
  constructor(status: number, code: WitnessErrorCode, message: string, options?: HttpErrorOptions) {
    super(status, code, message, options);
    this.name = 'WitnessError';
  }
}

/** 409: the stored size, as the spec's `text/x.tlog.size` body. */
export class SizeConflict extends Error {
  constructor(readonly size: number) {
    super(`the witness's latest size is ${size}`);
    this.name = 'SizeConflict';
  }
}

export { errorBody } from '@sealpost/service-kit';
