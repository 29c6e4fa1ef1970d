/**
 * Exportable KT evidence: its strict JSON shape, and checking it as a
 * third party with @sealpost/keytrans and the pinned configuration only.
 */
import { equalBytes } from '@sealpost/protocol/primitives';
import { type Checkpoint, openCheckpoint } from '../checkpoint.ts';
import { decodeBase64 } from '../codec.ts';
import { verifyConsistency } from '../consistency.ts';
import { KeyTransparencyError, ensure } from '../errors.ts';
import { verifyInclusion } from '../inclusion.ts';
import { logEntryLeafHash } from '../log-entry.ts';
import { HASH_SIZE } from '../log-tree.ts';
import { type VerifiedSearch, decodeSearchProof, verifySearchProof } from '../search-proof.ts';
import { ed25519NoteVerifier } from '../signed-note.ts';
import { verifyWitnessedCheckpoint } from '../witness-policy.ts';
import { MAX_CONSISTENCY_HASHES, MAX_NOTE_CHARS, MAX_PROOF_CHARS } from './limits.ts';
import type { KtEvidenceJson, KtEvidenceKind, KtPinned } from './types.ts';

const KINDS: readonly KtEvidenceKind[] = ['fork', 'inconsistent', 'pendingExpired', 'rollback', 'monitorFailed', 'ownerAlarm', 'timestampRegressed'];
const KEYS = new Set(['kind', 'detectedAtMs', 'message', 'label', 'checkpoints', 'searches', 'consistency', 'expected']);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isB64 = (x: unknown, max: number): x is string => typeof x === 'string' && x.length <= max && /^[A-Za-z0-9+/]*={0,2}$/.test(x) && x.length % 4 === 0;

/** Strictly validates parsed JSON as KtEvidenceJson (MALFORMED otherwise) and returns a canonical copy (fixed key order). */
export function parseEvidenceJson(json: unknown): KtEvidenceJson {
  ensure(isObject(json), 'MALFORMED', 'evidence is a JSON object');
  for (const k of Object.keys(json)) ensure(KEYS.has(k), 'MALFORMED', `evidence has an unknown field ${k}`);
  const { kind, detectedAtMs, message, label, checkpoints, searches, consistency, expected } = json;
  ensure(typeof kind === 'string' && (KINDS as readonly string[]).includes(kind), 'MALFORMED', 'evidence kind');
  ensure(typeof detectedAtMs === 'number' && Number.isSafeInteger(detectedAtMs) && detectedAtMs >= 0, 'MALFORMED', 'evidence detectedAtMs');
  ensure(typeof message === 'string' && message.length <= 1024, 'MALFORMED', 'evidence message');
  ensure(label === undefined || isB64(label, 400), 'MALFORMED', 'evidence label');
  ensure(Array.isArray(checkpoints) && checkpoints.length >= 1 && checkpoints.length <= 4, 'MALFORMED', 'evidence checkpoints');
  for (const c of checkpoints) ensure(typeof c === 'string' && c.length <= MAX_NOTE_CHARS, 'MALFORMED', 'evidence checkpoint note');
  ensure(Array.isArray(searches) && searches.length <= 2, 'MALFORMED', 'evidence searches');
  const s = searches.map((x: unknown) => {
    ensure(isObject(x) && Object.keys(x).length === 2, 'MALFORMED', 'an evidence search is {checkpoint, proof}');
    ensure(typeof x.checkpoint === 'number' && Number.isInteger(x.checkpoint) && x.checkpoint >= 0 && x.checkpoint < checkpoints.length, 'MALFORMED', 'evidence search checkpoint index');
    ensure(isB64(x.proof, MAX_PROOF_CHARS), 'MALFORMED', 'evidence search proof');
    return { checkpoint: x.checkpoint, proof: x.proof };
  });
  ensure(consistency === undefined || (Array.isArray(consistency) && consistency.length <= MAX_CONSISTENCY_HASHES && consistency.every((h) => isB64(h, 44))), 'MALFORMED', 'evidence consistency');
  let exp: { version: number; value: string } | undefined;
  if (expected !== undefined) {
    ensure(isObject(expected) && Object.keys(expected).length === 2, 'MALFORMED', 'evidence expected is {version, value}');
    ensure(typeof expected.version === 'number' && Number.isInteger(expected.version) && expected.version >= 0 && expected.version <= 0xffff_ffff, 'MALFORMED', 'evidence expected version');
    ensure(isB64(expected.value, 90_000), 'MALFORMED', 'evidence expected value');
    exp = { version: expected.version, value: expected.value };
  }
  return {
    kind: kind as KtEvidenceKind,
    detectedAtMs,
    message,
    ...(label === undefined ? {} : { label }),
    checkpoints: [...(checkpoints as string[])],
    searches: s,
    ...(consistency === undefined ? {} : { consistency: [...(consistency as string[])] }),
    ...(exp === undefined ? {} : { expected: exp }),
  };
}

const holds = (condition: boolean, message: string): void => ensure(condition, 'SEARCH_PROOF_INVALID', `evidence does not hold: ${message}`);

/**
 * Checks evidence independently: every checkpoint note is signed by the
 * pinned log, and the contradiction it claims holds —
 * fork: two checkpoints, same size, other roots; rollback: the second is
 * smaller; inconsistent: the given consistency proof between the two
 * fails; pendingExpired: the first is not witnessed under the policy;
 * monitorFailed: both searches verify and the second shows a lower version
 * or the same version with another value; ownerAlarm: the search verifies
 * and shows another version or value than `expected`; timestampRegressed:
 * the second checkpoint is larger and its newest entry (proven by its
 * search proof's entry and audit path) is timestamped before the first's.
 * Returns nothing; throws KeyTransparencyError otherwise.
 */
export function checkEvidence(evidence: KtEvidenceJson, pinned: KtPinned): void {
  const e = parseEvidenceJson(evidence);
  const log = [ed25519NoteVerifier(pinned.logVerifierKey)];
  const cps: Checkpoint[] = e.checkpoints.map((n) => openCheckpoint(n, log, { origin: pinned.origin }).checkpoint);
  const label = e.label === undefined ? undefined : decodeBase64(e.label, 'label');
  const search = (i: number): VerifiedSearch => {
    const s = e.searches[i];
    holds(s !== undefined && label !== undefined, 'a search and the label are needed');
    return verifySearchProof({ checkpoint: cps[s!.checkpoint]!, vrfPublicKey: pinned.vrfPublicKey, label: label!, proof: decodeBase64(s!.proof, 'search proof') });
  };
  const [a, b] = cps;
  switch (e.kind) {
    case 'fork':
      holds(b !== undefined && a!.size === b.size && !equalBytes(a!.rootHash, b.rootHash), 'two checkpoints of one size with different roots');
      return;
    case 'rollback':
      holds(b !== undefined && b.size < a!.size, 'the second checkpoint is smaller');
      return;
    case 'inconsistent': {
      holds(b !== undefined && a!.size <= b.size && e.consistency !== undefined, 'two checkpoints and a consistency proof');
      const hashes = e.consistency!.map((h) => decodeBase64(h, 'consistency hash'));
      holds(hashes.every((h) => h.length === HASH_SIZE), 'hashes are 32 bytes');
      let ok = true;
      try {
        verifyConsistency(a!.size, b!.size, hashes, a!.rootHash, b!.rootHash);
      } catch {
        ok = false;
      }
      holds(!ok, 'the consistency proof verifies');
      return;
    }
    case 'pendingExpired': {
      let witnessed = true;
      try {
        verifyWitnessedCheckpoint(e.checkpoints[0]!, pinned.policy, { origin: pinned.origin });
      } catch (err) {
        if (!(err instanceof KeyTransparencyError) || err.code !== 'QUORUM_NOT_MET') throw err;
        witnessed = false;
      }
      holds(!witnessed, 'the pending checkpoint has a witness quorum');
      return;
    }
    case 'monitorFailed': {
      const first = search(0);
      const second = search(1);
      holds(second.version < first.version || (second.version === first.version && !equalBytes(first.value, second.value)), 'the version did not go back nor its value change');
      return;
    }
    case 'timestampRegressed': {
      holds(b !== undefined && a!.size < b.size, 'two checkpoints, the second larger');
      holds(e.searches.length === 2 && e.searches[0]!.checkpoint === 0 && e.searches[1]!.checkpoint === 1, 'a search proof for each checkpoint');
      const [t0, t1] = e.searches.map((s) => newestEntryTimestamp(cps[s.checkpoint]!, s.proof));
      holds(t1! < t0!, 'the larger checkpoint\'s newest entry is not older');
      return;
    }
    case 'ownerAlarm': {
      const s = search(0);
      holds(e.expected !== undefined, 'the expected version is needed');
      const value = decodeBase64(e.expected!.value, 'expected value');
      holds(s.version !== e.expected!.version || !equalBytes(s.value, value), 'the log shows what the owner created');
      return;
    }
  }
}

/** The timestamp of a checkpoint's newest entry, from a search proof's entry and audit path (label-independent part). */
function newestEntryTimestamp(checkpoint: Checkpoint, proofBase64: string): number {
  const p = decodeSearchProof(decodeBase64(proofBase64, 'search proof'));
  verifyInclusion(checkpoint.size - 1, checkpoint.size, logEntryLeafHash(p.entry), p.inclusion, checkpoint.rootHash);
  return p.entry.timestamp;
}
