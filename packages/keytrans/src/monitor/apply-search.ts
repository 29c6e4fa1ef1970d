/**
 * One KT search, verified and applied to the client's state (pure: no
 * clock, no I/O). See the package README, "Client verification", for the
 * algorithm and which outcomes change state.
 */
import { toBase64 } from '@sealpost/protocol/primitives';
import { KeyTransparencyError } from '../errors.ts';
import type { KtSearchRequestJson } from '../wire.ts';
import { MAX_PENDING_HEADS } from './limits.ts';
import { labelKey } from './state.ts';
import type { ApplySearchParams, ApplySearchResult, KtClientState } from './types.ts';

/**
 * The body of `POST /v1/kt/search` for `label`: `last` = the retained
 * (witnessed) head's size, `pending` = the pending heads' sizes (oldest
 * first, at most 16; omitted when none).
 */
export function ktSearchRequest(state: KtClientState, label: Uint8Array): KtSearchRequestJson {
  labelKey(label);
  const request: KtSearchRequestJson = { label: toBase64(label) };
  if (state.retained !== undefined) request.last = state.retained.size;
  const pending = [...new Set(state.pending.map((p) => p.size))].slice(0, MAX_PENDING_HEADS);
  if (pending.length > 0) request.pending = pending;
  return request;
}

/**
 * Verifies `response` (the JSON of KtSearchResponseJson) for `label` and
 * applies it: returns the new state and the outcome. Never throws for
 * anything the server sent (a bad response is outcome `rejected` with the
 * input state object); throws KeyTransparencyError INVALID_ARGUMENT only
 * for caller bugs (a label that is not one, a request for another label).
 */
export function applySearch(params: ApplySearchParams): ApplySearchResult {
  void params;
  throw new KeyTransparencyError('INVALID_ARGUMENT', 'not implemented yet');
}
