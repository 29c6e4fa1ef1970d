/**
 * The witness's state in SQLite (better-sqlite3, as the other services): the
 * latest cosigned checkpoint per log (`checkpoints`, origin primary key) and
 * the refused checkpoints that contradict it (`evidence`). The schema is
 * versioned (migrations.ts, the kit's `migrateSqlite`).
 *
 * `update` runs the whole add-checkpoint step — read, decide, compare-and-swap
 * on size, evidence — inside one `BEGIN IMMEDIATE` transaction, so two
 * requests for the same log, in one process or in two processes over one
 * file, cannot both win from the same old size.
 */
import Database from 'better-sqlite3';
import { migrateSqlite } from '@sealpost/service-kit/sqlite-migrations';
import { SizeConflict } from './errors.ts';
import { WITNESS_SQLITE_MIGRATIONS } from './migrations.ts';
import type { CheckpointDecide, Evidence, StoredCheckpoint, WitnessStateStore } from './state.ts';

export type { Evidence, StoredCheckpoint } from './state.ts';

export class WitnessStore implements WitnessStateStore {
  readonly backend = 'sqlite' as const;
  private readonly db: Database.Database;

  /** Opens (and migrates) the SQLite file at `path` (':memory:' for a throwaway witness). */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    migrateSqlite(this.db, WITNESS_SQLITE_MIGRATIONS);
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction (rolled back if it throws). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  async update<T>(origin: string, decide: CheckpointDecide<T>): Promise<T> {
    return this.transaction(() => {
      const stored = this.latest(origin);
      const decision = decide(stored);
      if (decision.evidence !== undefined) this.addEvidence(decision.evidence);
      if (decision.write !== undefined && !this.replace(decision.write, stored?.size ?? 0)) {
        // Unreachable under the write lock BEGIN IMMEDIATE holds; kept so the step is a compare-and-swap on its own.
        throw new SizeConflict(this.latest(origin)?.size ?? 0);
      }
      return decision.result;
    });
  }

  async checkpointOf(origin: string): Promise<StoredCheckpoint | undefined> {
    return this.latest(origin);
  }

  async allEvidence(): Promise<Evidence[]> {
    return this.evidence();
  }

  async ready(): Promise<void> {
    if (!this.db.open) throw new Error('the database is closed');
    this.db.prepare('SELECT 1').get();
  }

  latest(origin: string): StoredCheckpoint | undefined {
    const row = this.db.prepare('SELECT origin, size, root, note FROM checkpoints WHERE origin = ?').get(origin) as
      | { origin: string; size: number; root: Buffer; note: string }
      | undefined;
    return row === undefined ? undefined : { origin: row.origin, size: row.size, rootHash: new Uint8Array(row.root), note: row.note };
  }

  /** Compare-and-swap: replaces the log's checkpoint only if its stored size is still `expectedSize` (0: none stored). */
  replace(cp: StoredCheckpoint, expectedSize: number): boolean {
    const info =
      expectedSize === 0
        ? this.db
            .prepare(
              'INSERT INTO checkpoints (origin, size, root, note) VALUES (?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note WHERE checkpoints.size = 0',
            )
            .run(cp.origin, cp.size, Buffer.from(cp.rootHash), cp.note)
        : this.db.prepare('UPDATE checkpoints SET size = ?, root = ?, note = ? WHERE origin = ? AND size = ?').run(cp.size, Buffer.from(cp.rootHash), cp.note, cp.origin, expectedSize);
    return info.changes === 1;
  }

  addEvidence(e: Omit<Evidence, 'id'>): void {
    this.db
      .prepare('INSERT INTO evidence (origin, kind, cosigned_note, refused_note, proof, old_size, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.origin, e.kind, e.cosignedNote, e.refusedNote, JSON.stringify(e.proof), e.oldSize, e.receivedAt);
  }

  evidence(): Evidence[] {
    const rows = this.db.prepare('SELECT * FROM evidence ORDER BY id').all() as {
      id: number;
      origin: string;
      kind: Evidence['kind'];
      cosigned_note: string;
      refused_note: string;
      proof: string;
      old_size: number;
      received_at: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      origin: r.origin,
      kind: r.kind,
      cosignedNote: r.cosigned_note,
      refusedNote: r.refused_note,
      proof: JSON.parse(r.proof) as string[],
      oldSize: r.old_size,
      receivedAt: r.received_at,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
