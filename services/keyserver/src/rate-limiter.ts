/**
 * Leaky-bucket rate limiting, in memory, as Signal-Server's limiters work:
 * a bucket holds up to `burst` permits and regains one every `refillMs`.
 * Bundle fetches are keyed by (requester device, target account, target
 * device), so one requester cannot drain another account's one-time prekeys
 * faster than one per `refillMs` after the first `burst`.
 *
 * State is per process; behind several instances use a shared store (the
 * interface is one method, easy to back with Redis/PostgreSQL).
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

interface Bucket {
  permits: number;
  updatedAt: number;
}

/** An in-memory leaky-bucket limiter. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly maxKeys = 1_000_000,
  ) {
    if (!(limit.burst >= 1) || !(limit.refillMs > 0)) throw new RangeError('rate limit needs burst >= 1 and refillMs > 0');
  }

  /** Takes one permit for `key` at time `now` (ms). */
  take(key: string, now: number): RateDecision {
    const { burst, refillMs } = this.limit;
    const b = this.buckets.get(key);
    let permits = burst;
    if (b !== undefined) permits = Math.min(burst, b.permits + Math.max(0, now - b.updatedAt) / refillMs);
    if (permits < 1) {
      return { allowed: false, retryAfterMs: Math.ceil((1 - permits) * refillMs) };
    }
    if (b === undefined && this.buckets.size >= this.maxKeys) this.evictFull(now);
    this.buckets.set(key, { permits: permits - 1, updatedAt: now });
    return { allowed: true };
  }

  /** Drops buckets that have refilled completely (they carry no information). */
  evictFull(now: number): void {
    const { burst, refillMs } = this.limit;
    for (const [key, b] of this.buckets) {
      if (b.permits + (now - b.updatedAt) / refillMs >= burst) this.buckets.delete(key);
    }
    // Still full of busy keys: forget the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxKeys) {
      let n = Math.floor(this.buckets.size / 2);
      for (const key of this.buckets.keys()) {
        if (n-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }

  /** Number of tracked keys. */
  get size(): number {
    return this.buckets.size;
  }
}

/** Takes a permit from `limiter` (if any) or throws 429 `RATE_LIMITED` with Retry-After (whole seconds, at least 1). */
export function enforceRateLimit(limiter: RateLimiter | undefined, key: string, now: number, what: string): void {
  if (limiter === undefined) return;
  const d = limiter.take(key, now);
  if (!d.allowed) {
    const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
    throw new KeyServerError(429, 'RATE_LIMITED', `too many ${what}; retry in ${seconds} s`, { headers: { 'retry-after': String(seconds) } });
  }
}
