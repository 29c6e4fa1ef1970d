/**
 * The witness's state in PostgreSQL, for several witness instances (one
 * witness key) behind one name: `witness_checkpoints` and
 * `witness_evidence` (migrations.ts), and the shared rate-limit buckets.
 *
 * `update` is ONE transaction (READ COMMITTED):
 *
 * 1. `SELECT … FROM witness_checkpoints WHERE origin = $1 FOR UPDATE` — a
 *    concurrent step for the same log on any instance waits here until this
 *    one commits, then reads what it wrote;
 * 2. the decision (witness.ts) on that row;
 * 3. the write as an atomic conditional upsert: `INSERT … ON CONFLICT
 *    (origin) DO UPDATE … WHERE witness_checkpoints.size = <size read>`. For
 *    a log never seen there is no row to lock in step 1, so two first
 *    submissions can both get there; the second upsert then waits on the
 *    first's row, re-checks the condition against the committed size and
 *    changes nothing — `update` rolls back and rejects with
 *    `SizeConflict(current size)`.
 *
 * So two instances can never both win from the same old size (tested with
 * concurrent HTTP requests to two instances, test/pg-witness.test.ts).
 */
import type pg from 'pg';
import { migratePostgres, openPgPool, withPgTransaction } from '@sealpost/service-kit/postgres';
import { SizeConflict } from './errors.ts';
import { WITNESS_PG_MIGRATIONS } from './migrations.ts';
import type { CheckpointDecide, Evidence, StoredCheckpoint, WitnessStateStore } from './state.ts';

export interface PostgresWitnessStoreOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** Connections per instance (default 10). */
  maxConnections?: number;
  /** Statement timeout, ms (default 5000). */
  statementTimeoutMs?: number;
  /** A pooled connection failed while idle (the pool replaces it). */
  onError?: (error: Error) => void;
}

type CheckpointRow = { origin: string; size: string; root: Buffer; note: string };

function rowToCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return { origin: row.origin, size: Number(row.size), rootHash: new Uint8Array(row.root), note: row.note };
}

const UPSERT = `INSERT INTO witness_checkpoints (origin, size, root, note) VALUES ($1, $2, $3, $4)
ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note
WHERE witness_checkpoints.size = $5`;

export class PostgresWitnessStore implements WitnessStateStore {
  readonly backend = 'postgres' as const;
  private closed = false;

  private constructor(readonly pool: pg.Pool) {}

  /** Connects and migrates (safe from several instances at once). */
  static async open(options: PostgresWitnessStoreOptions): Promise<PostgresWitnessStore> {
    const pool = openPgPool(
      { url: options.url, maxConnections: options.maxConnections ?? 10, statementTimeoutMs: options.statementTimeoutMs ?? 5_000, applicationName: 'sealpost-witness' },
      options.onError,
    );
    try {
      await migratePostgres(pool, WITNESS_PG_MIGRATIONS, { component: 'witness' });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresWitnessStore(pool);
  }

  async update<T>(origin: string, decide: CheckpointDecide<T>): Promise<T> {
    return withPgTransaction(this.pool, async (client) => {
      const { rows } = await client.query<CheckpointRow>('SELECT origin, size, root, note FROM witness_checkpoints WHERE origin = $1 FOR UPDATE', [origin]);
      const stored = rows[0] === undefined ? undefined : rowToCheckpoint(rows[0]);
      const decision = decide(stored);
      const e = decision.evidence;
      if (e !== undefined) {
        await client.query(
          'INSERT INTO witness_evidence (origin, kind, cosigned_note, refused_note, proof, old_size, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [e.origin, e.kind, e.cosignedNote, e.refusedNote, JSON.stringify(e.proof), e.oldSize, e.receivedAt],
        );
      }
      const w = decision.write;
      if (w !== undefined) {
        const written = await client.query(UPSERT, [w.origin, w.size, Buffer.from(w.rootHash), w.note, stored?.size ?? 0]);
        if (written.rowCount !== 1) {
          // Another instance stored this log's first checkpoint meanwhile: this request lost the race.
          const now = await client.query<{ size: string }>('SELECT size FROM witness_checkpoints WHERE origin = $1', [origin]);
          throw new SizeConflict(Number(now.rows[0]?.size ?? 0));
        }
      }
      return decision.result;
    });
  }

  async checkpointOf(origin: string): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.pool.query<CheckpointRow>('SELECT origin, size, root, note FROM witness_checkpoints WHERE origin = $1', [origin]);
    return rows[0] === undefined ? undefined : rowToCheckpoint(rows[0]);
  }

  async allEvidence(): Promise<Evidence[]> {
    const { rows } = await this.pool.query<{
      id: string;
      origin: string;
      kind: Evidence['kind'];
      cosigned_note: string;
      refused_note: string;
      proof: string[];
      old_size: string;
      received_at: string;
    }>('SELECT * FROM witness_evidence ORDER BY id');
    return rows.map((r) => ({
      id: Number(r.id),
      origin: r.origin,
      kind: r.kind,
      cosignedNote: r.cosigned_note,
      refusedNote: r.refused_note,
      proof: r.proof,
      oldSize: Number(r.old_size),
      receivedAt: Number(r.received_at),
    }));
  }

  async ready(): Promise<void> {
    if (this.closed) throw new Error('the database is closed');
    await this.pool.query('SELECT 1 FROM witness_checkpoints LIMIT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
