/**
 * Handles ("@bob"): claiming one for this account (`PUT
 * /v1/accounts/me/handle`, then owning its label so owner monitoring alarms
 * if the log ever points it elsewhere) and looking one up (`GET
 * /v1/handles/:handle`, the directory's answer, checked by a search of the
 * handle's label: a directory that hands out another account than the log
 * holds is a `mismatch`).
 */
import { encodeHandleValue, handleLabel, KeyTransparencyError, normalizeHandle } from '@sealpost/keytrans';
import { ClientError } from '../errors.ts';
import type { KeyServerClient } from '../keyserver-client.ts';
import type { RegisteredAccount } from '../store/types.ts';
import { KtError } from './errors.ts';
import type { KeyTransparency } from './key-transparency.ts';

/** `lookupHandle`'s answer. */
export interface HandleLookup {
  /** The normalized handle (no `@`). */
  handle: string;
  /** The account the directory names for it. */
  account: string;
  /** True when the log showed this account for the handle (false: not checked, `warn` after a failure, or key transparency off). */
  verified: boolean;
}

/** The normalized handle, or `ClientError('INVALID_DATA')`. */
function normalized(handle: string): string {
  try {
    return normalizeHandle(handle);
  } catch (e) {
    if (e instanceof KeyTransparencyError) throw new ClientError('INVALID_DATA', `${JSON.stringify(handle)} is not a handle: ${e.message}`, { cause: e });
    throw e;
  }
}

export interface HandleDeps {
  keyServer: KeyServerClient;
  kt: KeyTransparency;
  own: () => RegisteredAccount;
}

/**
 * Claims `handle` for this account (primary device). With key transparency
 * on, this device then owns the handle's label (version 0 → this account)
 * and monitors it with its account label. Returns the normalized handle.
 */
export async function claimHandle(d: HandleDeps, handle: string): Promise<string> {
  const h = normalized(handle);
  await d.keyServer.claimHandle(h);
  if (d.kt.active !== undefined) await d.kt.own(handleLabel(h), 0, encodeHandleValue(d.own().account));
  return h;
}

/**
 * Looks `handle` up in the directory and, with key transparency on, checks
 * the answer against the log (`kt` event; `enforce` throws `KtError` when
 * the log holds another account, or none).
 */
export async function lookupHandle(d: HandleDeps, handle: string): Promise<HandleLookup> {
  const h = normalized(handle);
  const answer = await d.keyServer.lookupHandle(h);
  let value: Uint8Array;
  try {
    if (answer.handle !== h) throw new Error(`it answered for ${JSON.stringify(answer.handle)}`);
    value = encodeHandleValue(answer.accountId);
  } catch (e) {
    throw new KtError('KT_BAD_RESPONSE', `the directory's answer for @${h} is malformed (${(e as Error).message})`, { cause: e });
  }
  const checker = d.kt.active;
  if (checker === undefined) return { handle: h, account: answer.accountId, verified: false };
  const label = handleLabel(h);
  if (await checker.recentlyVerified(label, value, d.kt.recheckAfterMs)) return { handle: h, account: answer.accountId, verified: true };
  const judgement = await d.kt.check({ label, source: 'handle', handle: h, account: answer.accountId, purpose: 'lookup', expectedValue: value }, true);
  return { handle: h, account: answer.accountId, verified: judgement.verified };
}
