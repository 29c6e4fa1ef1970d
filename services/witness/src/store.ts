/**
 * The witness's state in SQLite: the latest cosigned checkpoint per log
 * (`checkpoints`, origin primary key) and the refused checkpoints that
 * contradict it (`evidence`). `addCheckpoint` in app.ts runs its whole
 * check-and-persist step inside one `BEGIN IMMEDIATE` transaction
 * (`transaction`), so two requests for the same log cannot both win.
 */
import Database from 'better-sqlite3';

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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS checkpoints (
  origin TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  origin TEXT NOT NULL,
  kind TEXT NOT NULL,
  cosigned_note TEXT NOT NULL,
  refused_note TEXT NOT NULL,
  proof TEXT NOT NULL,
  old_size INTEGER NOT NULL,
  received_at INTEGER NOT NULL
);
`;

export class WitnessStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction (rolled back if it throws). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
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
        ? this.db.prepare('INSERT INTO checkpoints (origin, size, root, note) VALUES (?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note WHERE checkpoints.size = 0').run(cp.origin, cp.size, Buffer.from(cp.rootHash), cp.note)
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
      id: number; origin: string; kind: Evidence['kind']; cosigned_note: string; refused_note: string; proof: string; old_size: number; received_at: number;
    }[];
    return rows.map((r) => ({
      id: r.id, origin: r.origin, kind: r.kind, cosignedNote: r.cosigned_note, refusedNote: r.refused_note,
      proof: JSON.parse(r.proof) as string[], oldSize: r.old_size, receivedAt: r.received_at,
    }));
  }

  close(): void {
    this.db.close();
  }
}
