/**
 * One KT search, verified and applied to the client's state (pure: no
 * clock, no I/O). See the package README, "Client verification", for the
 * algorithm and which outcomes change state.
 *
 * Order: (1) everything cryptographic is verified first — response shape,
 * the checkpoint's log signature and every known cosignature, the search
 * proof (VRF from the cache when it vouches), the consistency proofs from
 * the retained and pending heads. Any failure ⇒ `rejected` (or `fork` when
 * a consistency proof between two log-signed heads fails) and the input
 * state object is returned as is. (2) Only then is the verified answer
 * judged against the state and the clock, and a new state built.
 */
import { equalBytes, toBase64 } from '@sealpost/protocol/primitives';
import { type Checkpoint, openCheckpoint } from '../checkpoint.ts';
import { KeyTransparencyError, ensure } from '../errors.ts';
import { verifyConsistency } from '../consistency.ts';
import { type VerifiedSearch, verifySearchProof } from '../search-proof.ts';
import { ed25519NoteVerifier } from '../signed-note.ts';
import type { KtSearchRequestJson } from '../wire.ts';
import { freshCosignatures, policyWitnessVerifiers, quorumSatisfied } from '../witness-policy.ts';
import { cacheVrf, vrfCacheLookup } from './vrf-cache.ts';
import { MAX_PENDING_HEADS } from './limits.ts';
import { type ParsedSearchResponse, parseSearchResponse } from './response.ts';
import { judgeLabel } from './judge-label.ts';
import { labelKey, pendingExpired, recordEvidence } from './state.ts';
import type { ApplySearchParams, ApplySearchResult, KtClientState, KtEvidenceJson, KtHead, KtPendingHead, KtPinned } from './types.ts';

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

/** What step (1) established. */
interface Verified {
  response: ParsedSearchResponse;
  checkpoint: Checkpoint;
  witnessed: boolean;
  search: VerifiedSearch;
  /** Pending heads (by index) a verified consistency proof or an equal root ties to the checkpoint. */
  consistentPending: Set<number>;
}

/** A consistency proof between two log-signed heads failed: the server cannot show they are one log. */
class Inconsistent extends Error {
  constructor(readonly evidence: KtEvidenceJson) {
    super(evidence.message);
  }
}

/**
 * Verifies `response` (the JSON of KtSearchResponseJson) for `label` and
 * applies it: returns the new state and the outcome. Never throws for
 * anything the server sent (a bad response is outcome `rejected` with the
 * input state object); throws KeyTransparencyError INVALID_ARGUMENT only
 * for caller bugs (a label that is not one, a request for another label,
 * an owner search of a label not registered with setOwnedLabel).
 */
export function applySearch(params: ApplySearchParams): ApplySearchResult {
  const { state, label, request, nowMs, purpose } = params;
  const key = labelKey(label);
  ensure(request.label === key, 'INVALID_ARGUMENT', 'the request is for another label');
  ensure(Number.isSafeInteger(nowMs) && nowMs >= 0, 'INVALID_ARGUMENT', 'nowMs is a non-negative integer');
  ensure(purpose === 'lookup' || purpose === 'owner' || purpose === 'contact', 'INVALID_ARGUMENT', 'purpose is lookup, owner or contact');
  ensure(purpose !== 'owner' || state.owned.has(key), 'INVALID_ARGUMENT', 'an owner search needs the label registered with setOwnedLabel');
  let v: Verified;
  try {
    v = verify(params);
  } catch (e) {
    if (e instanceof Inconsistent) return { state, outcome: { kind: 'fork', evidence: e.evidence } };
    if (e instanceof KeyTransparencyError) return { state, outcome: { kind: 'rejected', code: e.code, message: e.message } };
    throw e;
  }
  return judge(params, v);
}

function verify(params: ApplySearchParams): Verified {
  const { state, pinned, label, request, nowMs } = params;
  const response = parseSearchResponse(params.response, request);
  // The log's signature and every known cosignature must verify (a failing known signature rejects the note).
  const opened = openCheckpoint(response.note, [ed25519NoteVerifier(pinned.logVerifierKey)], { origin: pinned.origin, extraVerifiers: policyWitnessVerifiers(pinned.policy) });
  const { checkpoint } = opened;
  const fresh = freshCosignatures(opened, pinned.policy, { now: Math.floor(nowMs / 1000), maxAgeSeconds: Math.floor(pinned.maxWitnessLagMs / 1000) });
  const witnessed = quorumSatisfied(pinned.policy, new Set(fresh.keys()));
  const search = verifySearchProof({ checkpoint, vrfPublicKey: pinned.vrfPublicKey, label, proof: response.proof, vrfCached: vrfCacheLookup(state, pinned) });
  const tie = (head: KtHead, what: string): boolean => {
    if (head.size > checkpoint.size) return false;
    if (head.size === checkpoint.size) return equalBytes(head.root, checkpoint.rootHash); // unequal: a fork, judged in step (2)
    const c = response.consistency.get(head.size);
    if (c === undefined) return false;
    try {
      verifyConsistency(head.size, checkpoint.size, c.hashes, head.root, checkpoint.rootHash);
    } catch (e) {
      if (!(e instanceof KeyTransparencyError)) throw e;
      throw new Inconsistent({
        kind: 'inconsistent',
        detectedAtMs: nowMs,
        message: `the log signed ${what} of size ${head.size} and a checkpoint of size ${checkpoint.size}, and its consistency proof between them fails`,
        checkpoints: [head.note, response.note],
        searches: [],
        consistency: c.base64,
      });
    }
    return true;
  };
  if (state.retained !== undefined && state.retained.size < checkpoint.size) {
    ensure(response.consistency.has(state.retained.size), 'MALFORMED', `no consistency proof from the retained size ${state.retained.size}`);
    tie(state.retained, 'the retained checkpoint');
  }
  const consistentPending = new Set<number>();
  state.pending.forEach((p, i) => {
    if (tie(p, 'a pending checkpoint')) consistentPending.add(i);
  });
  return { response, checkpoint, witnessed, search, consistentPending };
}

function evidence(kind: KtEvidenceJson['kind'], nowMs: number, message: string, checkpoints: string[]): KtEvidenceJson {
  return { kind, detectedAtMs: nowMs, message, checkpoints, searches: [] };
}

function judge(params: ApplySearchParams, v: Verified): ApplySearchResult {
  const { state, pinned, nowMs } = params;
  const { checkpoint, response } = v;
  const head: KtHead = { size: checkpoint.size, root: checkpoint.rootHash, note: response.note };
  // Same size, another root: the log signed two different trees.
  for (const old of [...(state.retained === undefined ? [] : [state.retained]), ...state.pending]) {
    if (old.size === head.size && !equalBytes(old.root, head.root)) {
      const e = evidence('fork', nowMs, `the log signed two checkpoints of size ${head.size} with different roots`, [old.note, head.note]);
      return { state: recordEvidence(state, e), outcome: { kind: 'fork', evidence: e } };
    }
  }
  if (state.retained !== undefined && head.size < state.retained.size) {
    const e = evidence('rollback', nowMs, `the log served a checkpoint of size ${head.size} after one of size ${state.retained.size}`, [state.retained.note, head.note]);
    return { state: recordEvidence(state, e), outcome: { kind: 'stale', reason: 'rollback', evidence: e } };
  }
  if (v.search.timestamp > nowMs + pinned.maxAheadMs) return { state, outcome: { kind: 'stale', reason: 'ahead' } };
  if (v.search.timestamp < nowMs - pinned.maxBehindMs) return { state, outcome: { kind: 'stale', reason: 'behind' } };

  if (!v.witnessed) {
    let pending = state.pending;
    const known = pending.some((p) => p.size === head.size) || state.retained?.size === head.size;
    if (!known && pending.length < MAX_PENDING_HEADS) pending = [...pending, { ...head, firstSeenMs: nowMs }];
    const next = { ...state, pending };
    const expired = expirePending(next, pinned, nowMs);
    if (expired !== undefined) return expired;
    return { state: next, outcome: { kind: 'unwitnessed', size: head.size, version: v.search.version } };
  }

  // Witnessed: the checkpoint becomes the retained head; the pending heads it covers are done.
  const covered = new Set(v.consistentPending);
  const pending = state.pending.filter((_, i) => !covered.has(i));
  const base: KtClientState = { ...state, retained: head, pending, vrfCache: cacheVrf(state, pinned, params.label, v.search) };
  const expired = expirePending(base, pinned, nowMs);
  if (expired !== undefined) return expired;
  return judgeLabel(params, base, v.search, response.note, response.proofBase64);
}

/** Any pending head older than maxWitnessLag ⇒ `fork` (evidence recorded, the head dropped so it alarms once). */
function expirePending(state: KtClientState, pinned: KtPinned, nowMs: number): ApplySearchResult | undefined {
  const old = state.pending.filter((p: KtPendingHead) => pendingExpired(pinned, p.firstSeenMs, nowMs));
  if (old.length === 0) return undefined;
  const first = old[0]!;
  const e = evidence(
    'pendingExpired',
    nowMs,
    `the log signed a checkpoint of size ${first.size} that no witness quorum covered within ${pinned.maxWitnessLagMs} ms`,
    [first.note, ...(state.retained === undefined ? [] : [state.retained.note])],
  );
  const next = recordEvidence({ ...state, pending: state.pending.filter((p) => p !== first) }, e);
  return { state: next, outcome: { kind: 'fork', evidence: e } };
}
