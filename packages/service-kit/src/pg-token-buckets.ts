/**
 * Token buckets in PostgreSQL, shared by every instance of a service: one
 * row per (limiter name, key) holding the level and when it was computed.
 * A take is ONE statement (`INSERT … ON CONFLICT DO UPDATE … WHERE level ≥
 * cost`), so concurrent takes from several instances serialize on the row
 * and can never overdraw it. Time is passed in (ms) as everywhere else.
 *
 * Full buckets carry no information; `prune` deletes them, so the table
 * holds only keys that spent something recently.
 */
import type { PgQueryable } from './postgres.ts';

/** A bucket's shape: `capacity` tokens, refilled at `perMs` tokens per millisecond. */
export interface PgBucketLimit {
  capacity: number;
  perMs: number;
}

/** The table a service's migration creates (name it per service, e.g. `relay_token_buckets`). */
export function pgTokenBucketTableSql(table: string): string {
  checkTable(table);
  return `CREATE TABLE ${table} (
  limiter text NOT NULL,
  key text NOT NULL,
  tokens double precision NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (limiter, key)
)`;
}

function checkTable(table: string): void {
  if (!/^[a-z][a-z0-9_]{0,50}$/.test(table)) throw new Error(`bad table name ${JSON.stringify(table)}`);
}

/** Shared token buckets over one table. */
export class PgTokenBuckets {
  private readonly takeSql: string;
  private readonly levelSql: string;
  private readonly pruneSql: string;

  constructor(
    private readonly db: PgQueryable,
    table: string,
  ) {
    checkTable(table);
    // $1 limiter, $2 key, $3 capacity, $4 cost, $5 now, $6 perMs
    const refilled = `LEAST($3::float8, b.tokens + GREATEST(0, $5::bigint - b.updated_at) * $6::float8)`;
    this.takeSql = `INSERT INTO ${table} AS b (limiter, key, tokens, updated_at) VALUES ($1, $2, $3::float8 - $4::float8, $5)
ON CONFLICT (limiter, key) DO UPDATE SET tokens = ${refilled} - $4::float8, updated_at = GREATEST(b.updated_at, $5::bigint)
WHERE ${refilled} >= $4::float8
RETURNING tokens`;
    this.levelSql = `SELECT LEAST($3::float8, b.tokens + GREATEST(0, $4::bigint - b.updated_at) * $5::float8) AS level FROM ${table} b WHERE limiter = $1 AND key = $2`;
    this.pruneSql = `DELETE FROM ${table} b WHERE limiter = $1 AND b.tokens + GREATEST(0, $3::bigint - b.updated_at) * $4::float8 >= $2::float8`;
  }

  /**
   * Takes `cost` tokens from `key`'s bucket of `limiter` at `now`: resolves
   * to 0 when taken, else the milliseconds until they would be there
   * (Infinity when `cost` exceeds the capacity). Nothing is taken on refusal.
   */
  async take(limiter: string, key: string, cost: number, limit: PgBucketLimit, now: number): Promise<number> {
    if (cost > limit.capacity || !(limit.perMs > 0)) return cost > limit.capacity || cost > 0 ? Number.POSITIVE_INFINITY : 0;
    const taken = await this.db.query(this.takeSql, [limiter, key, limit.capacity, cost, Math.floor(now), limit.perMs]);
    if ((taken.rowCount ?? 0) > 0) return 0;
    const level = await this.db.query<{ level: number }>(this.levelSql, [limiter, key, limit.capacity, Math.floor(now), limit.perMs]);
    const have = level.rows[0]?.level ?? limit.capacity;
    return have >= cost ? 1 : Math.max(1, Math.ceil((cost - have) / limit.perMs));
  }

  /** Deletes `limiter`'s buckets that have refilled completely by `now`; resolves to how many. */
  async prune(limiter: string, limit: PgBucketLimit, now: number): Promise<number> {
    const result = await this.db.query(this.pruneSql, [limiter, limit.capacity, Math.floor(now), limit.perMs]);
    return result.rowCount ?? 0;
  }
}
