/** The witness's typed errors, answered as `{ error: { code, message } }` with `status`. */
export type WitnessErrorCode = 'MALFORMED' | 'UNKNOWN_LOG' | 'SIGNATURE_INVALID' | 'OLD_SIZE_TOO_LARGE' | 'CONSISTENCY_PROOF_INVALID' | 'NOT_FOUND';

export class WitnessError extends Error {
  constructor(
    readonly status: number,
    readonly code: WitnessErrorCode,
    message: string,
  ) {
    super(message);
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

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
