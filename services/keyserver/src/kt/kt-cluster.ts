/**
 * The seam between `KtLog` and the other key-server instances on the same
 * database (pg-kt-cluster.ts on PostgreSQL). Without one (SQLite: one
 * process per file) the log always sequences and nobody else writes.
 *
 * With one: only the instance whose cluster says `leading` appends entries,
 * sends heartbeats and runs witness rounds; every instance follows the
 * tables (new entries, checkpoints, cosignatures) when a notice arrives and
 * on its poll timer, so its in-memory index and witnessed checkpoint keep
 * up with the leader's.
 */

/** What instances tell each other (after the write committed). */
export type KtNotice = 'entry' | 'cosig' | 'pending';

export interface KtClusterEvents {
  /** This instance started or stopped leading. */
  leadership(leading: boolean): void;
  /** Another instance wrote (or this one reconnected and may have missed notices: 'entry'). */
  notice(kind: KtNotice): void;
}

export interface KtCluster {
  /** True while this instance holds the sequencer lock. */
  readonly leading: boolean;
  /** Connects and starts competing for the lock (resolves after the first attempt; retries on a timer). */
  start(events: KtClusterEvents): Promise<void>;
  /** Tells the other instances (best effort: they also poll). */
  announce(kind: KtNotice): void;
  /** Stops competing and gives up the lock. */
  close(): Promise<void>;
}
