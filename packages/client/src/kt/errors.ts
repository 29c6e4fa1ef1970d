/**
 * The client's key-transparency error: thrown when `mode: 'enforce'`
 * refuses a key (nothing is encrypted to it), and for unusable answers.
 * `code` is one of the `KT_*` client error codes; `event` is the `kt` event
 * the refusal also emitted (with its evidence, when there is some).
 */
import { ClientError, type ClientErrorCode } from '../errors.ts';
import type { KtEvent } from './types.ts';

/** The `KT_*` codes of `KtError`. */
export type KtErrorCode = Extract<ClientErrorCode, `KT_${string}`>;

export class KtError extends ClientError {
  declare readonly code: KtErrorCode;
  /** The account the refused key (or handle) was for, when known. */
  readonly account: string | undefined;
  /** The `kt` event of the refusal, when there was one. */
  readonly event: KtEvent | undefined;
  constructor(code: KtErrorCode, message: string, options: { account?: string | undefined; event?: KtEvent | undefined; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.account = options.account;
    this.event = options.event;
  }
}

/** True for a `KtError` (any code). */
export function isKtError(error: unknown): error is KtError {
  return error instanceof KtError;
}
