/**
 * Token buckets: `capacity` tokens, refilled continuously at `perMs` tokens
 * per millisecond. A bucket that is full again carries no information and
 * may be forgotten, which is what keeps `BucketMap` small.
 */

/** One bucket; time is passed in (ms), so tests and callers share one clock. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly capacity: number,
    readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.perMs);
      this.at = now;
    }
  }

  /** Tokens available at `now`. */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Takes `n` tokens if there are that many; false (and nothing taken) otherwise. */
  take(n: number, now: number): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Adds `n` tokens, up to `limit` (default: the capacity). */
  credit(n: number, limit = this.capacity): void {
    this.tokens = Math.min(Math.max(limit, this.capacity), this.tokens + n);
  }

  /** Milliseconds until `n` tokens are available (0 when they are). */
  waitMs(n: number, now: number): number {
    this.refill(now);
    if (this.tokens >= n) return 0;
    if (this.perMs <= 0 || n > this.capacity) return Number.POSITIVE_INFINITY;
    return Math.ceil((n - this.tokens) / this.perMs);
  }

  /** True when the bucket has refilled completely (it can be dropped). */
  full(now: number): boolean {
    return this.available(now) >= this.capacity;
  }
}

/**
 * Buckets by key, at most `maxEntries` of them. When the map is full, full
 * buckets are dropped first (they remember nothing); if none is, the oldest
 * entries go. Forcing an eviction takes `maxEntries` distinct keys, which the
 * per-source limits themselves make slow.
 */
export class BucketMap {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The bucket of `key` (created full). */
  get(key: string, now: number): TokenBucket {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxEntries) this.shrink(now);
      b = new TokenBucket(this.capacity, this.perMs, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  get size(): number {
    return this.buckets.size;
  }

  private shrink(now: number): void {
    for (const [k, b] of this.buckets) if (b.full(now)) this.buckets.delete(k);
    // Still full: drop the oldest tenth (Map iterates in insertion order).
    if (this.buckets.size >= this.maxEntries) {
      let n = Math.max(1, Math.floor(this.maxEntries / 10));
      for (const k of this.buckets.keys()) {
        if (n-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }
}
