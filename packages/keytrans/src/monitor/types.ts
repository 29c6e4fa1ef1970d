/**
 * The client's verifying side of key transparency (issue 15, phase 1):
 * the types of its pinned configuration, its state, its evidence and the
 * outcomes of one search. Pure data; the functions are in the sibling
 * modules (apply-search.ts, state.ts, state-codec.ts, evidence.ts,
 * pinned.ts). See the package README, "Client verification".
 *
 * Everything here is immutable by convention: functions return a new state
 * and never modify the one they were given.
 */
import type { WitnessPolicy } from '../witness-policy.ts';

/** What a client pins out of band (like its trust root). */
export interface KtPinned {
  /** The checkpoint origin, e.g. "keys.example.org/sealpost-kt/0123456789abcdef". */
  readonly origin: string;
  /** The log's Ed25519 note verifier key (C2SP vkey text, type 0x01, name = origin). */
  readonly logVerifierKey: string;
  /** The 32-byte ECVRF-EDWARDS25519-SHA512-TAI public key. */
  readonly vrfPublicKey: Uint8Array;
  /** The parsed witness policy (its `log` lines must include logVerifierKey; ktPinned checks it). */
  readonly policy: WitnessPolicy;
  /** How far the proven entry's timestamp may be ahead of the client's clock (ms). */
  readonly maxAheadMs: number;
  /** How far it may be behind (ms); older ⇒ `stale` (a frozen view). */
  readonly maxBehindMs: number;
  /** Cosignatures older than this do not count, and a pending head no witnessed head covers after this long ⇒ `fork` (ms). */
  readonly maxWitnessLagMs: number;
  /** How long after first seeing a label's version a contact keeps re-checking it (ms); afterwards the label is `done`. */
  readonly contactMonitoringWindowMs: number;
}

/** A log-signed checkpoint the client holds: its size, root and the note text (with the signatures it came with). */
export interface KtHead {
  readonly size: number;
  /** 32-byte RFC 6962 root. */
  readonly root: Uint8Array;
  /** The signed checkpoint note exactly as received. */
  readonly note: string;
  /** The timestamp of the checkpoint's newest log entry (ms), as the search proof that brought the head proved it. */
  readonly timestampMs: number;
  /** That search proof (base64): its entry and audit path prove the timestamp to anyone (timestampRegressed evidence). */
  readonly proof: string;
}

/** A log-signed checkpoint that no witness quorum covered yet. */
export interface KtPendingHead extends KtHead {
  /** When the client first saw it (ms, the caller's clock). */
  readonly firstSeenMs: number;
}

/** What the client accepted for a label it looked up (a contact's account or a handle). */
export interface KtAcceptedLabel {
  readonly version: number;
  readonly value: Uint8Array;
  /** The checkpoint size and the caller's time when this version was first accepted. */
  readonly firstSeenSize: number;
  readonly firstSeenMs: number;
  /** The caller's time of the last search that re-confirmed it. */
  readonly lastCheckedMs: number;
  /** True once it was re-confirmed at least contactMonitoringWindowMs after firstSeenMs: no more monitoring needed. */
  readonly done: boolean;
  /** The witnessed checkpoint note and the base64 search proof that first showed this version: kept for evidence. */
  readonly note: string;
  readonly proof: string;
}

/** A label this device owns (its account label, its handle): what the log must show. */
export interface KtOwnedLabel {
  /** The greatest version the device created. */
  readonly version: number;
  readonly value: Uint8Array;
  /** When the device created that version (ms): until maxBehindMs after it, an older version in the log is `stale`, not an alarm. */
  readonly sinceMs: number;
}

/** The evidence kinds: what was contradicted. */
export type KtEvidenceKind =
  /** Two log-signed checkpoints of the same size with different roots. */
  | 'fork'
  /** No valid consistency proof between two log-signed checkpoints (retained or pending → new). */
  | 'inconsistent'
  /** A pending (log-signed, unwitnessed) head that no witnessed head covered within maxWitnessLagMs. */
  | 'pendingExpired'
  /** A log-signed checkpoint smaller than one the client already verified. */
  | 'rollback'
  /** A label's accepted version went back, or its value changed. */
  | 'monitorFailed'
  /** An owned label shows a version or value the owner did not create. */
  | 'ownerAlarm'
  /** A larger checkpoint's newest entry is timestamped before a smaller one's. */
  | 'timestampRegressed';

/**
 * Exportable evidence (plain JSON), checkable by a third party with
 * @sealpost/keytrans and the pinned configuration alone (`checkEvidence`).
 */
export interface KtEvidenceJson {
  readonly kind: KtEvidenceKind;
  /** The caller's time when it was found (ms). */
  readonly detectedAtMs: number;
  /** What a human reads. */
  readonly message: string;
  /** The label concerned, base64 (monitorFailed, ownerAlarm). */
  readonly label?: string;
  /** The signed checkpoint notes involved, in the order the client saw them. */
  readonly checkpoints: readonly string[];
  /** Search proofs (base64 encodeSearchProof) against checkpoints[i], for monitorFailed / ownerAlarm. */
  readonly searches: readonly { readonly checkpoint: number; readonly proof: string }[];
  /** For `inconsistent`: the consistency proof the server gave (base64 hashes) from checkpoints[0] to checkpoints[1]. */
  readonly consistency?: readonly string[];
  /** For ownerAlarm: the version and value (base64) the owner created. */
  readonly expected?: { readonly version: number; readonly value: string };
}

/** The client's KT state: everything applySearch reads and returns. Encode with encodeKtState. */
export interface KtClientState {
  /** The newest witnessed checkpoint the client verified (undefined before the first). */
  readonly retained?: KtHead;
  /** Log-signed heads without a witness quorum yet (at most MAX_PENDING_HEADS), oldest first. */
  readonly pending: readonly KtPendingHead[];
  /** Accepted labels, keyed by the label's base64. */
  readonly labels: ReadonlyMap<string, KtAcceptedLabel>;
  /** Owned labels, keyed by the label's base64. */
  readonly owned: ReadonlyMap<string, KtOwnedLabel>;
  /**
   * Verified ECVRF proofs: hex SHA-256(vrfPublicKey ‖ VrfInput(label, version) ‖ proof) → the 32-byte output.
   * Insertion order; the oldest are evicted beyond MAX_VRF_CACHE.
   */
  readonly vrfCache: ReadonlyMap<string, Uint8Array>;
  /** Evidence found so far, oldest first (at most MAX_EVIDENCE; the oldest are dropped). */
  readonly evidence: readonly KtEvidenceJson[];
}

/** Why a search was made: a lookup before using a key, the owner's monitoring, or a contact's monitoring. */
export type KtPurpose = 'lookup' | 'owner' | 'contact';

/** Why an answer is `stale`. */
export type KtStaleReason =
  /** The proven entry is older than maxBehindMs (a frozen view). */
  | 'behind'
  /** The proven entry is more than maxAheadMs in the future. */
  | 'ahead'
  /** The checkpoint is smaller than the retained one (evidence recorded). */
  | 'rollback'
  /** A larger checkpoint whose newest entry is older than the retained one's: log time went back (evidence recorded). */
  | 'timestampRegressed'
  /** Owner: the log does not show the version the device created yet (within maxBehindMs of creating it). */
  | 'notYetLogged';

/** The result of one applySearch. `evidence` is present when the outcome produced some (also appended to state.evidence when state changed). */
export type KtOutcome =
  /** Verified and witnessed: the label's greatest version and value in the log; it equals what was expected / accepted. */
  | { readonly kind: 'verified'; readonly version: number; readonly value: Uint8Array; readonly witnessed: true }
  /** Lookup / contact: the log's value differs from `expectedValue` (an unlogged swap); the log's value is in `value`. */
  | { readonly kind: 'mismatch'; readonly version: number; readonly value: Uint8Array; readonly expected: Uint8Array }
  /** Lookup / contact: the log shows a greater version than the accepted one (logged change; now accepted). */
  | { readonly kind: 'identityChanged'; readonly logged: true; readonly from: number; readonly to: number; readonly value: Uint8Array }
  /** Owner: the log shows a version or value this device did not create. */
  | { readonly kind: 'ownerAlarm'; readonly version: number; readonly value: Uint8Array; readonly expectedVersion: number; readonly evidence: KtEvidenceJson }
  /** Two log-signed checkpoints contradict each other (or a pending head expired). */
  | { readonly kind: 'fork'; readonly evidence: KtEvidenceJson }
  /** The checkpoint is log-signed and the proof verifies, but the witness quorum is not met: kept pending, value NOT accepted. */
  | { readonly kind: 'unwitnessed'; readonly size: number; readonly version: number }
  /** The view is too old, from the future, rolled back, or (owner) not caught up yet; nothing accepted. */
  | { readonly kind: 'stale'; readonly reason: KtStaleReason; readonly evidence?: KtEvidenceJson }
  /** Contact / lookup: an accepted version went back or its value changed. */
  | { readonly kind: 'monitorFailed'; readonly acceptedVersion: number; readonly version: number; readonly evidence: KtEvidenceJson }
  /** The response did not verify (bad signature, proof, encoding, a response for another label…); state unchanged. */
  | { readonly kind: 'rejected'; readonly code: string; readonly message: string };

export type KtOutcomeKind = KtOutcome['kind'];

export interface ApplySearchParams {
  readonly state: KtClientState;
  readonly pinned: KtPinned;
  /** The label searched (raw bytes). */
  readonly label: Uint8Array;
  /** The request that was sent (from ktSearchRequest). */
  readonly request: import('../wire.ts').KtSearchRequestJson;
  /** The server's answer, as parsed JSON (shape checked here; anything else ⇒ `rejected`). */
  readonly response: unknown;
  /** The caller's clock (ms). */
  readonly nowMs: number;
  readonly purpose: KtPurpose;
  /** Lookup / contact: the value the caller is about to use (e.g. encodeIdentityValue of the bundle's identity key). */
  readonly expectedValue?: Uint8Array;
}

export interface ApplySearchResult {
  /** The new state; the very same object as params.state when nothing changed (always for `rejected`). */
  readonly state: KtClientState;
  readonly outcome: KtOutcome;
}
