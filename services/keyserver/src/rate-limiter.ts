/**
 * Leaky-bucket rate limiting, as Signal-Server's limiters work: a bucket
 * holds up to `burst` permits and regains one every `refillMs`.
 *
 * `RateLimitStore` is the seam: one method (`take`), so a shared store
 * (PostgreSQL: pg-rate-limiter.ts) replaces the in-memory `RateLimiter`
 * behind several instances. The in-memory one is bounded: it tracks at most `maxKeys`
 * buckets, and when it is full it makes room only by dropping buckets that
 * have refilled completely (they carry no information). When none can be
 * dropped it DENIES the new key instead of forgetting a busy one, so
 * flooding it with fresh keys can never reset somebody's spent budget —
 * the failure mode is "deny", not "forget".
 */
import { KeyServerError } from './errors.ts';

/** Settings of one limiter. */
export interface RateLimit {
  /** Permits available at once. */
  burst: number;
  /** Milliseconds to regain one permit. */
  refillMs: number;
}

/** Outcome of taking a permit. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Where buckets live: in memory here (synchronous answers), in PostgreSQL
 * behind several instances (pg-rate-limiter.ts, Promise answers).
 */
export interface RateLimitStore {
  readonly limit: RateLimit;
  /** Takes one permit for `key` at time `now` (ms). */
  take(key: string, now: number): RateDecision | Promise<RateDecision>;
  /** Number of tracked keys. */
  trackedKeys(): number | Promise<number>;
  /** Drops every completely refilled bucket (run from the prune timer). */
  evictFull(now: number): void | Promise<void>;
}

interface Bucket {
  permits: number;
  updatedAt: number;
}

/** How many of the least recently used buckets one insertion into a full limiter inspects. */
const SWEEP_PER_INSERT = 32;

/** An in-memory, bounded leaky-bucket limiter. */
export class RateLimiter implements RateLimitStore {
  /** Least recently updated first (an update re-inserts the key). */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    readonly maxKeys = 100_000,
  ) {
    if (!(limit.burst >= 1) || !(limit.refillMs > 0)) throw new RangeError('rate limit needs burst >= 1 and refillMs > 0');
    if (!(maxKeys >= 1)) throw new RangeError('rate limiter needs maxKeys >= 1');
  }

  take(key: string, now: number): RateDecision {
    const { burst, refillMs } = this.limit;
    const b = this.buckets.get(key);
    let permits = burst;
    if (b !== undefined) permits = Math.min(burst, b.permits + Math.max(0, now - b.updatedAt) / refillMs);
    if (permits < 1) return { allowed: false, retryAfterMs: Math.ceil((1 - permits) * refillMs) };
    if (b === undefined && this.buckets.size >= this.maxKeys && !this.makeRoom(now)) {
      // Full of buckets that still hold information: refuse rather than forget one.
      return { allowed: false, retryAfterMs: refillMs };
    }
    // Re-inserted to keep least-recently-updated order; stored flat: keys built from request parts are
    // ropes or slices of the URL (~1 KB per entry instead of ~170 B).
    if (b !== undefined) this.buckets.delete(key);
    this.buckets.set(Buffer.from(key, 'utf8').toString('utf8'), { permits: permits - 1, updatedAt: now });
    return { allowed: true };
  }

  /** Drops completely refilled buckets among the least recently used; true when there is room. */
  private makeRoom(now: number): boolean {
    const { burst, refillMs } = this.limit;
    let inspected = 0;
    for (const [key, b] of this.buckets) {
      if (inspected++ >= SWEEP_PER_INSERT) break;
      if (b.permits + (now - b.updatedAt) / refillMs >= burst) this.buckets.delete(key);
    }
    return this.buckets.size < this.maxKeys;
  }

  /** Drops every completely refilled bucket (e.g. from a timer). */
  evictFull(now: number): void {
    const { burst, refillMs } = this.limit;
    for (const [key, b] of this.buckets) {
      if (b.permits + (now - b.updatedAt) / refillMs >= burst) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  trackedKeys(): number {
    return this.buckets.size;
  }
}

/** The 429 a refused permit answers with: `RATE_LIMITED` and Retry-After in whole seconds (at least 1). */
export function rateLimited(retryAfterMs: number, what: string): KeyServerError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new KeyServerError(429, 'RATE_LIMITED', `too many ${what}; retry in ${seconds} s`, { headers: { 'retry-after': String(seconds) } });
}

/** Takes a permit from `limiter` (if any) or throws 429 `RATE_LIMITED` with Retry-After. */
export async function enforceRateLimit(limiter: RateLimitStore | undefined, key: string, now: number, what: string): Promise<void> {
  if (limiter === undefined) return;
  const d = await limiter.take(key, now);
  if (!d.allowed) throw rateLimited(d.retryAfterMs, what);
}
