/**
 * Per-client-address rate limits on add-checkpoint: a token bucket per
 * address (IPv6 grouped by /64, IPv4-mapped as IPv4, as the key server does)
 * of `burst` permits, one regained every `refillMs`.
 *
 * - One instance: in memory, bounded (`maxKeys`); when full it makes room
 *   only by dropping buckets that have refilled completely, and otherwise
 *   DENIES the new address instead of forgetting a spent bucket (a flood of
 *   fresh addresses cannot reset somebody's budget).
 * - On PostgreSQL: the kit's `PgTokenBuckets` (one atomic upsert per take)
 *   on `witness_rate_limits`, so a client spreading its requests over the
 *   instances draws from one bucket.
 *
 * Addresses are only bucket keys: never logged. With a reverse proxy in
 * front, `--trust-proxy` makes `request.ip` the client's, not the proxy's.
 */
import { clientAddressKey } from '@sealpost/service-kit';
import type pg from 'pg';
import { PgTokenBuckets } from '@sealpost/service-kit/postgres';
import { WITNESS_PG_RATE_TABLE } from './migrations.ts';

/** `burst` permits at once, one more every `refillMs`. */
export interface RateLimit {
  burst: number;
  refillMs: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface AddressLimiter {
  take(key: string, now: number): RateDecision | Promise<RateDecision>;
  /** Drops completely refilled buckets. */
  prune(now: number): void | Promise<unknown>;
}

/** The default: 100 at once, then 10 per second per address (a log submits about once a minute per witness). */
export const DEFAULT_ADD_CHECKPOINT_RATE_LIMIT: RateLimit = { burst: 100, refillMs: 100 };

/** The rate-limit key of a client address (IPv6 by /64): the service kit's, as on the key server. */
export { clientAddressKey };

function checkLimit(limit: RateLimit): void {
  if (!(limit.burst >= 1) || !(limit.refillMs > 0)) throw new RangeError('a rate limit needs burst >= 1 and refillMs > 0');
}

/** How many least-recently-used buckets one insertion into a full limiter inspects. */
const SWEEP_PER_INSERT = 32;

export class MemoryAddressLimiter implements AddressLimiter {
  /** Least recently updated first (an update re-inserts the key). */
  private readonly buckets = new Map<string, { permits: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    readonly maxKeys = 100_000,
  ) {
    checkLimit(limit);
  }

  take(key: string, now: number): RateDecision {
    const { burst, refillMs } = this.limit;
    const b = this.buckets.get(key);
    const permits = b === undefined ? burst : Math.min(burst, b.permits + Math.max(0, now - b.at) / refillMs);
    if (permits < 1) return { allowed: false, retryAfterMs: Math.ceil((1 - permits) * refillMs) };
    if (b === undefined && this.buckets.size >= this.maxKeys && !this.makeRoom(now)) return { allowed: false, retryAfterMs: refillMs };
    if (b !== undefined) this.buckets.delete(key);
    this.buckets.set(key, { permits: permits - 1, at: Math.max(now, b?.at ?? now) });
    return { allowed: true };
  }

  private full(b: { permits: number; at: number }, now: number): boolean {
    return b.permits + (now - b.at) / this.limit.refillMs >= this.limit.burst;
  }

  private makeRoom(now: number): boolean {
    let inspected = 0;
    for (const [key, b] of this.buckets) {
      if (inspected++ >= SWEEP_PER_INSERT) break;
      if (this.full(b, now)) this.buckets.delete(key);
    }
    return this.buckets.size < this.maxKeys;
  }

  prune(now: number): void {
    for (const [key, b] of this.buckets) if (this.full(b, now)) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** The limiter's name in the shared table. */
const PG_LIMITER = 'add-checkpoint';

export class PgAddressLimiter implements AddressLimiter {
  private readonly buckets: PgTokenBuckets;
  private readonly shape: { capacity: number; perMs: number };

  constructor(
    pool: pg.Pool,
    readonly limit: RateLimit,
  ) {
    checkLimit(limit);
    this.buckets = new PgTokenBuckets(pool, WITNESS_PG_RATE_TABLE);
    this.shape = { capacity: limit.burst, perMs: 1 / limit.refillMs };
  }

  async take(key: string, now: number): Promise<RateDecision> {
    const r = await this.buckets.take(PG_LIMITER, key, 1, this.shape, now);
    return r.granted ? { allowed: true } : { allowed: false, retryAfterMs: Math.max(1, Math.ceil((1 - r.tokens) * this.limit.refillMs)) };
  }

  async prune(now: number): Promise<number> {
    return this.buckets.prune(PG_LIMITER, this.shape, now);
  }
}
