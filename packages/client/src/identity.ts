/**
 * Trust on first use. The first identity key seen for an account is
 * trusted; a different key later is an identity change the app must show
 * ("safety number changed"). Under the default `warn` policy the new key is
 * then trusted (as Signal does) and the change event fires; under `block`,
 * sending to and accepting from that account fails with
 * `IdentityChangedError` until the app calls `trustIdentity`.
 */
import { constantTimeEqual } from '@sealpost/protocol/primitives';
import { IdentityChangedError } from './errors.ts';
import type { IdentityDecision, IdentityStore } from './store/types.ts';

/** What to do when a trusted identity changes. */
export type IdentityPolicy = 'warn' | 'block';

/** An identity change, as the app sees it. */
export interface IdentityChange {
  account: string;
  /** The key trusted before (33 bytes). */
  previousKey: Uint8Array;
  /** The key now presented (33 bytes). */
  newKey: Uint8Array;
  /** True when the new key is now trusted (`warn`); false when blocked. */
  accepted: boolean;
  /** With key transparency: true when the log shows the new key as the account's (a change the owner made, and can see). */
  logged?: boolean;
}

/**
 * Checks `identityKey` for `account` against the trust store (pass the
 * caller's transaction's `identities`). Returns the decision and, for a change, the event to
 * report. Under `block` a change throws `IdentityChangedError` and stores nothing.
 */
export async function checkIdentity(
  identities: IdentityStore,
  account: string,
  identityKey: Uint8Array,
  policy: IdentityPolicy,
  now: number,
): Promise<{ decision: IdentityDecision; change: IdentityChange | undefined }> {
  const trusted = await identities.trusted(account);
  if (trusted === undefined) {
    await identities.trust(account, identityKey, now);
    return { decision: 'new', change: undefined };
  }
  if (trusted.identityKey.length === identityKey.length && constantTimeEqual(trusted.identityKey, identityKey)) {
    return { decision: 'same', change: undefined };
  }
  if (policy === 'block') throw new IdentityChangedError(account);
  await identities.trust(account, identityKey, now);
  return { decision: 'changed', change: { account, previousKey: trusted.identityKey, newKey: identityKey, accepted: true } };
}
