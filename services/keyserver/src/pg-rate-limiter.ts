/**
 * The leaky-bucket limiter of rate-limiter.ts with its buckets in
 * PostgreSQL (`keyserver_rate_limits`), so a client spreading requests over
 * several instances draws from ONE bucket. A take is one atomic statement:
 * an upsert that refills the bucket to `now`, takes a permit if one is
 * there, and returns what it did — concurrent takes on one key serialize on
 * its row, so no two instances can spend the same permit.
 *
 * Unlike the in-memory limiter there is no key cap: buckets cost disk, not
 * process memory, and nothing is ever forgotten while it holds information
 * (the prune timer deletes only completely refilled buckets). Clocks of the
 * instances should agree (NTP); a take with an earlier `now` than the
 * bucket's last update refills nothing and never moves its time back.
 */
import type pg from 'pg';
import { storeError } from './store/pg-errors.ts';
import type { RateDecision, RateLimit, RateLimitStore } from './rate-limiter.ts';

// $1 limiter, $2 key, $3 burst, $4 refillMs, $5 now
const REFILLED = 'LEAST($3::float8, b.permits + GREATEST(0, $5::bigint - b.updated_at)::float8 / $4::float8)';
const TAKE = `
  INSERT INTO keyserver_rate_limits AS b (limiter, key, permits, updated_at, granted)
  VALUES ($1, $2, $3::float8 - 1, $5::bigint, true)
  ON CONFLICT (limiter, key) DO UPDATE SET
    permits    = ${REFILLED} - CASE WHEN ${REFILLED} >= 1 THEN 1 ELSE 0 END,
    updated_at = GREATEST(b.updated_at, $5::bigint),
    granted    = ${REFILLED} >= 1
  RETURNING permits, granted`;
// $1 limiter, $2 burst, $3 refillMs, $4 now: buckets that have refilled completely carry no information.
const EVICT = `DELETE FROM keyserver_rate_limits WHERE limiter = $1 AND permits + GREATEST(0, $4::bigint - updated_at)::float8 / $3::float8 >= $2::float8`;
const COUNT = 'SELECT count(*)::int AS n FROM keyserver_rate_limits WHERE limiter = $1';

/** A rate limiter whose buckets are rows shared by every instance on the database. */
export class PostgresRateLimiter implements RateLimitStore {
  /**
   * @param name the limiter's name (its rows' `limiter` column): one per
   *   limit, the same on every instance.
   */
  constructor(
    private readonly pool: pg.Pool,
    readonly name: string,
    readonly limit: RateLimit,
  ) {
    if (!(limit.burst >= 1) || !(limit.refillMs > 0)) throw new RangeError('rate limit needs burst >= 1 and refillMs > 0');
  }

  async take(key: string, now: number): Promise<RateDecision> {
    try {
      const { rows } = await this.pool.query<{ permits: number; granted: boolean }>(TAKE, [this.name, key, this.limit.burst, this.limit.refillMs, Math.floor(now)]);
      const r = rows[0]!;
      return r.granted ? { allowed: true } : { allowed: false, retryAfterMs: Math.ceil((1 - r.permits) * this.limit.refillMs) };
    } catch (e) {
      throw storeError(e);
    }
  }

  async trackedKeys(): Promise<number> {
    return (await this.pool.query<{ n: number }>(COUNT, [this.name])).rows[0]!.n;
  }

  async evictFull(now: number): Promise<void> {
    await this.pool.query(EVICT, [this.name, this.limit.burst, this.limit.refillMs, Math.floor(now)]);
  }
}
