/**
 * Step (2) of applySearch for a witnessed, fresh, consistent answer: what
 * the label's verified greatest version and value mean for an owner, a
 * lookup or a contact, and the new state.
 */
import { equalBytes, toBase64 } from '@sealpost/protocol/primitives';
import type { VerifiedSearch } from '../search-proof.ts';
import { MAX_LABELS } from './limits.ts';
import { labelKey, recordEvidence } from './state.ts';
import type { ApplySearchParams, ApplySearchResult, KtAcceptedLabel, KtClientState, KtEvidenceJson } from './types.ts';

export function judgeLabel(params: ApplySearchParams, base: KtClientState, search: VerifiedSearch, note: string, proof: string): ApplySearchResult {
  const { pinned, nowMs, purpose, label } = params;
  const key = labelKey(label);
  const { version, value } = search;
  if (purpose === 'owner') {
    const owned = base.owned.get(key)!;
    if (version === owned.version && equalBytes(value, owned.value)) return { state: base, outcome: { kind: 'verified', version, value, witnessed: true } };
    if (version < owned.version && nowMs - owned.sinceMs <= pinned.maxBehindMs) return { state: base, outcome: { kind: 'stale', reason: 'notYetLogged' } };
    const e: KtEvidenceJson = {
      kind: 'ownerAlarm',
      detectedAtMs: nowMs,
      message:
        version < owned.version
          ? `the log still shows version ${version} of an owned label, ${nowMs - owned.sinceMs} ms after this device created version ${owned.version}`
          : `the log shows version ${version} of an owned label with a value this device did not create (it created version ${owned.version})`,
      label: key,
      checkpoints: [note],
      searches: [{ checkpoint: 0, proof }],
      expected: { version: owned.version, value: toBase64(owned.value) },
    };
    return { state: recordEvidence(base, e), outcome: { kind: 'ownerAlarm', version, value, expectedVersion: owned.version, evidence: e } };
  }

  const prior = base.labels.get(key);
  if (prior !== undefined && (version < prior.version || (version === prior.version && !equalBytes(value, prior.value)))) {
    const e: KtEvidenceJson = {
      kind: 'monitorFailed',
      detectedAtMs: nowMs,
      message:
        version < prior.version
          ? `the log showed version ${prior.version} of this label and now shows version ${version} as its greatest`
          : `the log showed version ${version} of this label with one value and now with another`,
      label: key,
      checkpoints: [prior.note, note],
      searches: [
        { checkpoint: 0, proof: prior.proof },
        { checkpoint: 1, proof },
      ],
    };
    return { state: recordEvidence(base, e), outcome: { kind: 'monitorFailed', acceptedVersion: prior.version, version, evidence: e } };
  }
  let accepted: KtAcceptedLabel;
  if (prior === undefined || version > prior.version) {
    accepted = { version, value: value.slice(), firstSeenSize: search.position + 1, firstSeenMs: nowMs, lastCheckedMs: nowMs, done: false, note, proof };
  } else {
    accepted = { ...prior, lastCheckedMs: nowMs, done: prior.done || nowMs - prior.firstSeenMs >= pinned.contactMonitoringWindowMs };
  }
  const labels = new Map(base.labels);
  labels.set(key, accepted);
  if (labels.size > MAX_LABELS) {
    // Evict the label checked longest ago (never the one just checked).
    let oldest: string | undefined;
    for (const [k, l] of labels) if (k !== key && (oldest === undefined || l.lastCheckedMs < labels.get(oldest)!.lastCheckedMs)) oldest = k;
    labels.delete(oldest!);
  }
  const state: KtClientState = { ...base, labels };
  if (params.expectedValue !== undefined && !equalBytes(params.expectedValue, value)) {
    return { state, outcome: { kind: 'mismatch', version, value, expected: params.expectedValue.slice() } };
  }
  if (prior !== undefined && version > prior.version) return { state, outcome: { kind: 'identityChanged', logged: true, from: prior.version, to: version, value } };
  return { state, outcome: { kind: 'verified', version, value, witnessed: true } };
}
