/**
 * The key-transparency log's storage seam (async, so a PostgreSQL store can
 * follow the SQLite one). The database is the source of truth; `KtLog`
 * keeps an in-memory index (RFC 6962 leaf hashes, prefix trees) rebuilt
 * from it on start. Every method that writes several rows does all of it
 * or none of it.
 */

/** A row of `kt_entries`: one log entry. */
export interface KtEntryRow {
  position: number;
  timestampMs: number;
  prefixRoot: Uint8Array;
}

/** The prefix-tree leaf a label version added (what a rebuild replays). */
export interface KtLeafRow {
  position: number;
  searchKey: Uint8Array;
  commitment: Uint8Array;
}

/** A prefix-tree leaf with its label: what an instance that follows the log replays (and matches waiters by). */
export interface KtFollowRow extends KtLeafRow {
  label: Uint8Array;
}

/** A row of `kt_versions`: one version of a label. */
export interface KtVersionRow extends KtLeafRow {
  label: Uint8Array;
  version: number;
  opening: Uint8Array;
  value: Uint8Array;
  vrfProof: Uint8Array;
}

/** An ECVRF proof with its 32-byte output (the prefix-tree search key). */
export interface VrfProofRow {
  proof: Uint8Array;
  searchKey: Uint8Array;
}

/** A row of `kt_pending`: an update waiting for the sequencer. */
export interface KtPendingRow {
  id: number;
  label: Uint8Array;
  value: Uint8Array;
  enqueuedMs: number;
}

/** A row of `kt_checkpoints`: the log-signed note and the cosignature lines received for it. */
export interface KtCheckpointRow {
  size: number;
  /** The signed note (text, blank line, the log's signature line). */
  note: string;
  /** Cosignature lines (`— name base64\n` each), in the order received. */
  cosignatures: string;
}

/** One sequenced batch, written in one transaction. */
export interface KtBatch {
  entry: KtEntryRow;
  versions: KtVersionRow[];
  /** The `kt_pending` rows this batch logged (deleted). */
  pendingIds: number[];
  /** The kt_vrf_next keys whose proofs this batch used (deleted). */
  usedVrfNext: Uint8Array[];
  /** The checkpoint of the log with this entry (size = position + 1). */
  checkpointNote: string;
}

/**
 * Thrown by `appendBatch` when the batch's position is not the next one
 * (another sequencer appended it) or this process no longer holds the
 * sequencer lock: nothing was written.
 */
export class KtAppendConflict extends Error {
  constructor(message: string) {
    super(`key transparency: ${message}`);
    this.name = 'KtAppendConflict';
  }
}

/** Outcome of claiming a handle. */
export type HandleClaim = 'claimed' | 'unchanged' | 'alreadySet' | 'taken';

/** The key-transparency store. */
export interface KtStore {
  /** The log entries from position `from` (default 0) on, by position. */
  entries(from?: number): Promise<KtEntryRow[]>;
  /** The prefix-tree leaves, with labels, of the versions at positions ≥ `from`, by position (following another sequencer). */
  versionsFrom(from: number): Promise<KtFollowRow[]>;
  /** Which of these `kt_pending` ids are still queued (the others are sequenced). */
  pendingPresent(ids: readonly number[]): Promise<number[]>;
  /** The prefix-tree leaves of every version, by position (rebuild). */
  leaves(): Promise<KtLeafRow[]>;
  /** The label's greatest version added before `beforePosition`, if any. */
  greatestVersion(label: Uint8Array, beforePosition: number): Promise<KtVersionRow | undefined>;
  /**
   * What a search needs in one read: the label's greatest version before
   * `beforePosition` and, when known, the VRF proof of the version after it
   * (the next version's row, else the cached kt_vrf_next proof).
   */
  searchVersion(label: Uint8Array, beforePosition: number): Promise<{ row: KtVersionRow; next: VrfProofRow | undefined } | undefined>;
  /** One version of a label, if it exists. */
  version(label: Uint8Array, version: number): Promise<KtVersionRow | undefined>;
  /** The number of versions the label has (= its next version). */
  versionCount(label: Uint8Array): Promise<number>;
  /**
   * The cached VRF proof (and output) of a label's next, absent version,
   * keyed by the search key of its current greatest version (no label in
   * that table).
   */
  vrfNext(afterKey: Uint8Array): Promise<VrfProofRow | undefined>;
  /** Caches the VRF proof (and output) of the version after the one whose search key is `afterKey`. */
  putVrfNext(afterKey: Uint8Array, proof: VrfProofRow): Promise<void>;
  /** The oldest pending updates (at most `limit`). */
  pending(limit: number): Promise<KtPendingRow[]>;
  /** Queues updates; answers their ids. */
  enqueue(updates: readonly { label: Uint8Array; value: Uint8Array }[], now: number): Promise<number[]>;
  /**
   * Appends one entry with its versions and checkpoint and deletes the pending rows it logged,
   * atomically — only if `entry.position` is the log's next position and every pending row is
   * still queued; otherwise writes nothing and throws `KtAppendConflict`.
   */
  appendBatch(batch: KtBatch): Promise<void>;
  /** The newest checkpoints, newest first (at most `limit`). */
  checkpoints(limit: number): Promise<KtCheckpointRow[]>;
  /** The checkpoints of size ≥ `size`, newest first (at most `limit`). */
  checkpointsSince(size: number, limit: number): Promise<KtCheckpointRow[]>;
  /** Adds cosignature lines to a stored checkpoint. */
  addCosignatures(size: number, lines: string): Promise<void>;
  /**
   * Claims `handle` for `accountId` and queues its log update in the same
   * transaction: 'claimed' (new), 'unchanged' (the account already has this
   * handle), 'alreadySet' (the account has another), 'taken' (another account has it).
   */
  claimHandle(handle: string, accountId: string, update: { label: Uint8Array; value: Uint8Array }, now: number): Promise<HandleClaim>;
  /** The account a handle belongs to. */
  handleAccount(handle: string): Promise<string | undefined>;
}

/** A kt_versions row as both drivers return it (PostgreSQL gives BIGINT position as a string). */
export interface KtVersionSqlRow {
  label: Buffer;
  version: number;
  position: number | string;
  opening: Buffer;
  value: Buffer;
  vrf_proof: Buffer;
  search_key: Buffer;
  commitment: Buffer;
}

/** A Uint8Array over a driver's Buffer (no copy). */
export const bufferView = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** A kt_versions row as the store interface hands it out. */
export function ktVersionRow(r: KtVersionSqlRow): KtVersionRow {
  return {
    label: bufferView(r.label),
    version: r.version,
    position: Number(r.position),
    opening: bufferView(r.opening),
    value: bufferView(r.value),
    vrfProof: bufferView(r.vrf_proof),
    searchKey: bufferView(r.search_key),
    commitment: bufferView(r.commitment),
  };
}
