/**
 * The client's KT state: the empty state and the small transitions a
 * caller makes outside a search (registering what it owns, keeping
 * evidence, asking what to monitor). All pure: a new state is returned,
 * the given one is never modified.
 */
import { toBase64 } from '@sealpost/protocol/primitives';
import { checkLabel, checkVersion, MAX_VALUE_SIZE } from '../commitment.ts';
import { decodeBase64 } from '../codec.ts';
import { ensure } from '../errors.ts';
import { MAX_EVIDENCE, MAX_OWNED } from './limits.ts';
import type { KtClientState, KtEvidenceJson, KtOwnedLabel, KtPinned } from './types.ts';

/** The state of a client that has verified nothing yet. */
export function emptyKtState(): KtClientState {
  return { pending: [], labels: new Map(), owned: new Map(), vrfCache: new Map(), evidence: [] };
}

/** The key labels are stored under (their standard base64). */
export function labelKey(label: Uint8Array): string {
  checkLabel(label);
  return toBase64(label);
}

/**
 * Records that this device created `version` of `label` with `value` at
 * `nowMs` (call it in the same transaction that registers the account or
 * rotates the identity key). Owner searches then expect exactly that.
 * INVALID_ARGUMENT for a lower version than the one recorded, or beyond MAX_OWNED labels.
 */
export function setOwnedLabel(state: KtClientState, label: Uint8Array, version: number, value: Uint8Array, nowMs: number): KtClientState {
  const key = labelKey(label);
  checkVersion(version);
  ensure(value instanceof Uint8Array && value.length <= MAX_VALUE_SIZE, 'INVALID_ARGUMENT', 'a value is at most 64 KiB of bytes');
  ensure(Number.isSafeInteger(nowMs) && nowMs >= 0, 'INVALID_ARGUMENT', 'nowMs is a non-negative integer');
  const prior = state.owned.get(key);
  ensure(prior === undefined || prior.version <= version, 'INVALID_ARGUMENT', 'an owned label never goes back to a lower version');
  ensure(prior !== undefined || state.owned.size < MAX_OWNED, 'INVALID_ARGUMENT', `at most ${MAX_OWNED} owned labels`);
  const owned = new Map(state.owned);
  const entry: KtOwnedLabel = { version, value: value.slice(), sinceMs: nowMs };
  owned.set(key, entry);
  return { ...state, owned };
}

/** Appends evidence (e.g. a `fork` outcome's, which applySearch does not store when the response itself failed to verify); the oldest beyond MAX_EVIDENCE are dropped. */
export function recordEvidence(state: KtClientState, evidence: KtEvidenceJson): KtClientState {
  const all = [...state.evidence, evidence];
  return { ...state, evidence: all.slice(Math.max(0, all.length - MAX_EVIDENCE)) };
}

/**
 * The labels (raw bytes) a contact monitor should search again now: accepted
 * labels not `done` whose last check is at least `intervalMs` old.
 */
export function labelsToMonitor(state: KtClientState, nowMs: number, intervalMs: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [key, l] of state.labels) {
    if (!l.done && nowMs - l.lastCheckedMs >= intervalMs) out.push(decodeBase64(key, 'label key'));
  }
  return out;
}

/** Whether a pinned window has passed for a pending head. */
export function pendingExpired(pinned: KtPinned, firstSeenMs: number, nowMs: number): boolean {
  return nowMs - firstSeenMs > pinned.maxWitnessLagMs;
}
