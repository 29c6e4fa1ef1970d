/**
 * A contact's account was deleted: what the send paths do when a service
 * says so. The batch sealed for it (if any) is dropped from the outbox by
 * the caller — it can never be delivered, so it must not be retried —, the
 * app hears `contactDeleted`, and the error is rethrown naming the account.
 */
import type { ClientEvents } from '../client-types.ts';
import { isAccountDeleted, type AccountDeletedError } from './errors.ts';

/** Emits events (the client's `emit`). */
export type Emit = <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;

/** The `contactDeleted` event's value. */
export interface ContactDeletedEvent {
  /** The deleted account. */
  account: string;
}

/**
 * For an `AccountDeletedError` about `account`: emits `contactDeleted` and
 * returns the error naming the account; any other error is returned as it is.
 */
export function onContactDeleted(error: unknown, account: string, emit: Emit): unknown {
  if (!isAccountDeleted(error)) return error;
  const named: AccountDeletedError = error.withAccount(account);
  emit('contactDeleted', { account });
  return named;
}
