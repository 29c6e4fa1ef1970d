/**
 * Token buckets in PostgreSQL, shared by every instance of a service: one
 * row per (limiter name, key) holding the level, when it was computed and
 * whether the last take was granted. A take is ONE statement (an upsert
 * that refills the bucket to `now`, takes `cost` if it is there and returns
 * what it did), so concurrent takes from several instances serialize on the
 * row and can never overdraw it. Time is passed in (ms) as everywhere else;
 * a take with an earlier `now` than the row's refills nothing and never
 * moves its time back.
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

/** What a take did: granted or not, and the level left (after the take when granted). */
export interface PgBucketTake {
  granted: boolean;
  tokens: number;
}

/** The table a service's migration creates (name it per service, e.g. `blobs_token_buckets`). */
export function pgTokenBucketTableSql(table: string, tokensColumn = 'tokens'): string {
  checkName(table);
  checkName(tokensColumn);
  return `CREATE TABLE ${table} (
  limiter text NOT NULL,
  key text NOT NULL,
  ${tokensColumn} double precision NOT NULL,
  updated_at bigint NOT NULL,
  granted boolean NOT NULL,
  PRIMARY KEY (limiter, key)
)`;
}

function checkName(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,50}$/.test(name)) throw new Error(`bad table or column name ${JSON.stringify(name)}`);
}

/** Shared token buckets over one table (`tokensColumn` names the level column; default `tokens`). */
export class PgTokenBuckets {
  private readonly takeSql: string;
  private readonly pruneSql: string;
  private readonly countSql: string;

  constructor(
    private readonly db: PgQueryable,
    table: string,
    tokensColumn = 'tokens',
  ) {
    checkName(table);
    checkName(tokensColumn);
    const t = tokensColumn;
    // $1 limiter, $2 key, $3 capacity, $4 cost, $5 now, $6 perMs
    const refilled = `LEAST($3::float8, b.${t} + GREATEST(0, $5::bigint - b.updated_at)::float8 * $6::float8)`;
    this.takeSql = `INSERT INTO ${table} AS b (limiter, key, ${t}, updated_at, granted) VALUES ($1, $2, $3::float8 - $4::float8, $5::bigint, true)
ON CONFLICT (limiter, key) DO UPDATE SET
  ${t} = ${refilled} - CASE WHEN ${refilled} >= $4::float8 THEN $4::float8 ELSE 0 END,
  updated_at = GREATEST(b.updated_at, $5::bigint),
  granted = ${refilled} >= $4::float8
RETURNING ${t} AS tokens, granted`;
    // $1 limiter, $2 capacity, $3 now, $4 perMs
    this.pruneSql = `DELETE FROM ${table} b WHERE limiter = $1 AND b.${t} + GREATEST(0, $3::bigint - b.updated_at)::float8 * $4::float8 >= $2::float8`;
    this.countSql = `SELECT count(*)::int AS n FROM ${table} WHERE limiter = $1`;
  }

  /**
   * Takes `cost` tokens from `key`'s bucket of `limiter` at `now` if they are
   * there (nothing is taken otherwise). `cost` must not exceed the capacity.
   */
  async take(limiter: string, key: string, cost: number, limit: PgBucketLimit, now: number): Promise<PgBucketTake> {
    if (!(cost <= limit.capacity) || !(limit.perMs > 0)) throw new RangeError(`a take of ${cost} from a bucket of ${limit.capacity} (refill ${limit.perMs}/ms) can never be granted`);
    const { rows } = await this.db.query<{ tokens: number; granted: boolean }>(this.takeSql, [limiter, key, limit.capacity, cost, Math.floor(now), limit.perMs]);
    return { granted: rows[0]!.granted, tokens: rows[0]!.tokens };
  }

  /** Milliseconds until a refused take of `cost` could be granted (0 when granted). */
  static waitMs(take: PgBucketTake, cost: number, limit: PgBucketLimit): number {
    return take.granted ? 0 : Math.max(1, Math.ceil((cost - take.tokens) / limit.perMs));
  }

  /** Deletes `limiter`'s buckets that have refilled completely by `now`; resolves to how many. */
  async prune(limiter: string, limit: PgBucketLimit, now: number): Promise<number> {
    return (await this.db.query(this.pruneSql, [limiter, limit.capacity, Math.floor(now), limit.perMs])).rowCount ?? 0;
  }

  /** Buckets `limiter` holds. */
  async count(limiter: string): Promise<number> {
    return (await this.db.query<{ n: number }>(this.countSql, [limiter])).rows[0]!.n;
  }
}
