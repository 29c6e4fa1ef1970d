/**
 * The leaky-bucket limiter of rate-limiter.ts with its buckets in
 * PostgreSQL (`keyserver_rate_limits`), so a client spreading requests over
 * several instances draws from ONE bucket. A take is one atomic statement:
 * the service kit's `PgTokenBuckets` (an upsert that refills the bucket to
 * `now`, takes a permit if one is there, and returns what it did) —
 * concurrent takes on one key serialize on its row, so no two instances can
 * spend the same permit.
 *
 * Unlike the in-memory limiter there is no key cap: buckets cost disk, not
 * process memory, and nothing is ever forgotten while it holds information
 * (the prune timer deletes only completely refilled buckets). Clocks of the
 * instances should agree (NTP); a take with an earlier `now` than the
 * bucket's last update refills nothing and never moves its time back.
 */
import type pg from 'pg';
import { PgTokenBuckets, type PgBucketLimit } from '@sealpost/service-kit/postgres';
import { storeError } from './store/pg-errors.ts';
import type { RateDecision, RateLimit, RateLimitStore } from './rate-limiter.ts';

/** A rate limiter whose buckets are rows shared by every instance on the database. */
export class PostgresRateLimiter implements RateLimitStore {
  private readonly buckets: PgTokenBuckets;
  private readonly shape: PgBucketLimit;
  /**
   * @param name the limiter's name (its rows' `limiter` column): one per
   *   limit, the same on every instance.
   */
  constructor(
    pool: pg.Pool,
    readonly name: string,
    readonly limit: RateLimit,
  ) {
    if (!(limit.burst >= 1) || !(limit.refillMs > 0)) throw new RangeError('rate limit needs burst >= 1 and refillMs > 0');
    this.buckets = new PgTokenBuckets(pool, 'keyserver_rate_limits', 'permits');
    this.shape = { capacity: limit.burst, perMs: 1 / limit.refillMs };
  }

  async take(key: string, now: number): Promise<RateDecision> {
    try {
      const r = await this.buckets.take(this.name, key, 1, this.shape, now);
      return r.granted ? { allowed: true } : { allowed: false, retryAfterMs: Math.ceil((1 - r.tokens) * this.limit.refillMs) };
    } catch (e) {
      throw storeError(e);
    }
  }

  async trackedKeys(): Promise<number> {
    return this.buckets.count(this.name);
  }

  async evictFull(now: number): Promise<void> {
    await this.buckets.prune(this.name, this.shape, now);
  }
}
