/**
 * What the witness keeps, and the one write it makes: the shapes both stores
 * (SQLite `WitnessStore`, PostgreSQL `PostgresWitnessStore`) share.
 *
 * The add-checkpoint step is a pure decision over the stored checkpoint of a
 * log (`CheckpointDecide`, witness.ts) run by the store inside ONE
 * transaction (`update`): read the stored checkpoint (locked), decide, then
 * write the new checkpoint as a compare-and-swap on the stored size and/or
 * record evidence. If the compare-and-swap finds another size (a concurrent
 * request won), nothing is written and `update` rejects with
 * `SizeConflict(current size)`: the 409 the losing request gets.
 */

export interface StoredCheckpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  note: string;
}

export interface Evidence {
  id: number;
  origin: string;
  /** `split-view` (same size, other root) or `inconsistent` (the proof does not connect). */
  kind: 'split-view' | 'inconsistent';
  /** The checkpoint the witness had cosigned. */
  cosignedNote: string;
  /** The refused checkpoint (validly signed by the log). */
  refusedNote: string;
  /** The consistency proof lines as received (base64). */
  proof: string[];
  oldSize: number;
  /** When it was received, seconds since the epoch (the witness clock). */
  receivedAt: number;
}

/** What one add-checkpoint step decided, given the stored checkpoint. */
export interface CheckpointDecision<T> {
  /** What `update` resolves with when the step's writes went in. */
  result: T;
  /** The new checkpoint; written only if the stored size is still the one `decide` saw (0: none). */
  write?: StoredCheckpoint;
  /** A refused, validly signed checkpoint to keep. */
  evidence?: Omit<Evidence, 'id'>;
}

/** The decision, made synchronously on the locked stored checkpoint (undefined: the log was never seen). */
export type CheckpointDecide<T> = (stored: StoredCheckpoint | undefined) => CheckpointDecision<T>;

/** A witness store: the latest cosigned checkpoint per log and the evidence. */
export interface WitnessStateStore {
  /** Which backend (metrics, logs). */
  readonly backend: 'sqlite' | 'postgres';
  /**
   * Runs `decide` on the stored checkpoint of `origin` and applies what it
   * decided, all in one transaction; rejects with `SizeConflict` when the
   * compare-and-swap on size fails (then nothing was written).
   */
  update<T>(origin: string, decide: CheckpointDecide<T>): Promise<T>;
  /** The latest cosigned checkpoint of `origin`. */
  checkpointOf(origin: string): Promise<StoredCheckpoint | undefined>;
  /** Every piece of evidence, oldest first. */
  allEvidence(): Promise<Evidence[]>;
  /** Resolves when the store answers (for `/ready`). */
  ready(): Promise<void>;
  close(): void | Promise<void>;
}
