/**
 * The public types of the client's key transparency: the `keyTransparency`
 * option and the `kt` event. See kt/README section in packages/client/README.md.
 */

/** What a failed check does: refuse (`enforce`), report and go on (`warn`), or no checks at all (`off`). */
export type KtMode = 'enforce' | 'warn' | 'off';

/** The `keyTransparency` option of `SealpostClient`: the log an app pins, like `trustRoot`. */
export interface KeyTransparencyOptions {
  /** The log's checkpoint origin (C2SP tlog-checkpoint), e.g. `keys.example.org/sealpost-kt/0123456789abcdef`. */
  origin: string;
  /** The log's Ed25519 note verifier key (C2SP vkey text; its name is `origin`). */
  logVerifierKey: string;
  /** The log's ECVRF-EDWARDS25519-SHA512-TAI public key: 32 bytes, or their standard base64. */
  vrfPublicKey: Uint8Array | string;
  /** The witness policy (C2SP tlog-policy text: `witness` lines with cosignature/v1 vkeys, groups, one `quorum`). */
  witnessPolicy: string;
  /** `enforce` (refuse what does not verify), `warn` (emit `kt` and go on) or `off`. */
  mode: KtMode;
  /** Owner and contact monitoring: every this many ms, jittered by up to a tenth (default 15 min). */
  monitorIntervalMs?: number;
  /** A checkpoint's cosignatures count only if at most this old (default 1 h); pending heads older than this are a fork. */
  maxWitnessLagMs?: number;
  /** The log's newest entry may be at most this old (default 1 h; the sequencer heartbeats well within it). */
  maxBehindMs?: number;
  /** Where the KT routes (`/v1/kt/search`, `/v1/handles/…`) are served; default the key server URL. */
  url?: string;
  /** A label verified with the same key within this many ms is not asked again before a session is built (default `monitorIntervalMs`). */
  recheckAfterMs?: number;
  /** Background checks (a sealed-sender contact's first message) wait a random delay up to this many ms (default 30 s; 0 = at once). */
  backgroundDelayMs?: number;
  /** How long a contact's newly seen key is re-checked by contact monitoring (default 7 days, the verifier's). */
  contactMonitoringWindowMs?: number;
  /** How far the log's newest entry may be ahead of this clock (default 5 min). */
  maxAheadMs?: number;
}

/** The kinds of `kt` event. */
export type KtEventKind = 'verified' | 'mismatch' | 'identityChanged' | 'ownerAlarm' | 'fork' | 'unwitnessed' | 'stale' | 'monitorFailed';

/** Why a check ran. */
export type KtCheckSource = 'bundle' | 'sender' | 'owner' | 'contact' | 'handle';

/** The `kt` event: the result of one key-transparency check. */
export interface KtEvent {
  kind: KtEventKind;
  /** The account whose key (or whose handle) was checked. */
  account?: string;
  /** The handle, for handle checks (normalized, without `@`). */
  handle?: string;
  /**
   * `identityChanged`: true, the new key is the one in the log.
   * `mismatch`: whether the label is in the log at all (false: the key server handed out a key it never logged).
   */
  logged?: boolean;
  /** What contradicts what (signed checkpoints, proofs, the key shown), to export with `client.keyTransparency.evidence()`. */
  evidence?: KtEvidenceRecord;
  /** Why the check ran. */
  source: KtCheckSource;
  /** What happened, for logs (no secrets). */
  detail?: string;
  /** True when the operation was refused because of it (`enforce`). */
  refused?: boolean;
}

/** One piece of exportable evidence, as stored. */
export interface KtEvidenceRecord {
  /** The event kind it backs. */
  kind: KtEventKind;
  /** When it was recorded, ms. */
  at: number;
  account?: string;
  handle?: string;
  /** The verifier's evidence (signed notes, proofs, values), JSON-safe (byte strings as base64). */
  data: unknown;
}
