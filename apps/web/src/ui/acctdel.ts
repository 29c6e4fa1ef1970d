/**
 * Account deletion in the web chat: what the page says when a contact's
 * account was deleted (a send to it failed with `ACCOUNT_DELETED`, and the
 * SDK emitted `contactDeleted`). The SDK keeps nothing in the outbox for it,
 * so the notice is all there is to show.
 */
import { isAccountDeleted } from '@sealpost/client/browser';

/** The problem line for a failed send: a notice for a deleted contact, else undefined. */
export function deletedContactProblem(error: unknown, nameOf: (account: string) => string): string | undefined {
  if (!isAccountDeleted(error) || error.account === undefined) return undefined;
  return `${nameOf(error.account)} deleted their account: messages to them can no longer be delivered.`;
}
