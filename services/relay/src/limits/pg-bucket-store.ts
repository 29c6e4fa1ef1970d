/**
 * Send budgets in PostgreSQL (table `relay_rate_buckets`, function
 * `relay_take_buckets`, pg-schema.ts): one statement per charge, which
 * refills and locks every named bucket (in key order), checks them all and
 * takes from all or none — so relay instances on one database share each
 * budget exactly, with no per-process state.
 */
import type pg from 'pg';
import { pgWrite } from '../store/pg-errors.ts';
import { mergeTakes, type BucketStore, type BucketTake } from './bucket-store.ts';

export class PgBucketStore implements BucketStore {
  constructor(private readonly pool: pg.Pool) {}

  async takeAll(takes: readonly BucketTake[], now: number): Promise<number[]> {
    if (takes.length === 0) return [];
    const { merged, index } = mergeTakes(takes);
    const result = await pgWrite(() =>
      this.pool.query<{ waits: number[] }>('SELECT relay_take_buckets($1::text[], $2::float8[], $3::float8[], $4::float8[], $5::bigint) AS waits', [
        merged.map((t) => `${t.spec.name}:${t.key}`),
        merged.map((t) => t.spec.capacity),
        merged.map((t) => t.spec.perMs),
        merged.map((t) => t.n),
        Math.floor(now),
      ]),
    );
    const waits = result.rows[0]!.waits;
    return index.map((i) => waits[i]!);
  }

  async prune(now: number): Promise<number> {
    const r = await pgWrite(() => this.pool.query('DELETE FROM relay_rate_buckets WHERE tokens + GREATEST(0, $1::bigint - at) * per_ms >= capacity', [Math.floor(now)]));
    return r.rowCount ?? 0;
  }
}
