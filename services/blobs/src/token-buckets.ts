/**
 * Per-subject token buckets, in memory only (nothing about who uploaded
 * outlives the process). Subjects are the opaque quota ids from upload
 * capabilities. Full buckets are forgotten, so the map holds only subjects
 * that used something recently; it is capped at `maxKeys`.
 */
import type { BucketLimit } from './settings.ts';

export class TokenBuckets {
  private readonly buckets = new Map<string, { level: number; at: number }>();

  constructor(
    private readonly limit: BucketLimit,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes `cost` units for `subject` at `now` (ms): 0 when allowed, otherwise the ms to wait. */
  take(subject: string, cost: number, now: number): number {
    const { burst, perSecond } = this.limit;
    const b = this.buckets.get(subject);
    const level = b === undefined ? burst : Math.min(burst, b.level + (Math.max(0, now - b.at) / 1000) * perSecond);
    if (level < cost) return Math.ceil(((cost - level) / perSecond) * 1000);
    if (b === undefined && this.buckets.size >= this.maxKeys) this.forgetFull(now);
    this.buckets.set(subject, { level: level - cost, at: now });
    return 0;
  }

  private forgetFull(now: number): void {
    for (const [k, b] of this.buckets) if (b.level + ((now - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
