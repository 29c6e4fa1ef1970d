/**
 * The typed error of a deleted account. The key server answers 410
 * `ACCOUNT_DELETED` for a deleted account's device list and bundles (401
 * `ACCOUNT_DELETED` to its own devices' credentials), the relay 410
 * `ACCOUNT_DELETED` to a send addressed to it; `requestJson` turns each into
 * this error instead of a generic `ServiceError`, so an app (and the SDK's
 * send and outbox paths) can switch on `code === 'ACCOUNT_DELETED'`.
 */
import { ClientError } from '../errors.ts';

/** The service error code both services answer a deleted account with. */
export const ACCOUNT_DELETED_CODE = 'ACCOUNT_DELETED';

/** An account (a contact's, or this device's own) was deleted. */
export class AccountDeletedError extends ClientError {
  /** The deleted account, when known (the SDK fills it in on sends and bundle fetches). */
  readonly account: string | undefined;
  /** Which service said so. */
  readonly service: string;
  /** The HTTP status it answered (410, or 401 for the own device's credentials). */
  readonly status: number;
  constructor(service: string, status: number, account?: string, options?: { cause?: unknown; message?: string }) {
    const message = options?.message ?? `${service} answered ${status} ACCOUNT_DELETED${account === undefined ? '' : ` for ${account}`}: the account was deleted`;
    super('ACCOUNT_DELETED', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.service = service;
    this.status = status;
    this.account = account;
  }

  /** This device's own store: its account was deleted (`deleteAccount()`); use a new store to register again. */
  static ofThisStore(): AccountDeletedError {
    return new AccountDeletedError('this store', 410, undefined, { message: "this store's account was deleted; open a new store to register or link again" });
  }

  /** The same error naming `account`. */
  withAccount(account: string): AccountDeletedError {
    return this.account === account ? this : new AccountDeletedError(this.service, this.status, account, { cause: this.cause });
  }
}

/** True for the error of a deleted account. */
export function isAccountDeleted(error: unknown): error is AccountDeletedError {
  return error instanceof AccountDeletedError;
}
