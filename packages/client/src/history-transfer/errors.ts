/** Typed failures of a history transfer (codes in errors.ts `ClientErrorCode`). */
import { ClientError } from '../errors.ts';

/** The codes a `HistoryTransferError` carries. */
export type HistoryTransferErrorCode = 'HISTORY_TRANSFER_TAMPERED' | 'HISTORY_TRANSFER_INVALID' | 'HISTORY_TRANSFER_UNAVAILABLE';

/** A history transfer that failed; when it is thrown on the new device nothing of the archive was imported. */
export class HistoryTransferError extends ClientError {
  declare readonly code: HistoryTransferErrorCode;
  /** For TAMPERED: which check failed (the attachment verifier's reason: DIGEST, MAC, INCREMENTAL_MAC, LENGTH, PADDING, PLAINTEXT_HASH). */
  readonly reason: string | undefined;
  constructor(code: HistoryTransferErrorCode, message: string, options?: { cause?: unknown; reason?: string }) {
    super(code, message, options);
    this.reason = options?.reason;
  }
}
