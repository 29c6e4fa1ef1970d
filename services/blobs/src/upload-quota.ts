/**
 * The per-device upload quotas (creations and bytes) behind one seam: in
 * memory for a single instance (`TokenBuckets`), or in PostgreSQL shared by
 * every instance (`PgTokenBuckets` of the service kit), so a device cannot
 * multiply its quota by spreading uploads over instances.
 */
import { PgTokenBuckets } from '@sealpost/service-kit/postgres';
import type { BucketLimit } from './settings.ts';
import { TokenBuckets } from './token-buckets.ts';

/** One quota: `take` resolves to 0 when allowed, else the ms to wait. */
export interface UploadQuota {
  take(subject: string, cost: number, now: number): Promise<number>;
}

/** A single instance's quota, in memory. */
export function memoryQuota(limit: BucketLimit, maxKeys?: number): UploadQuota {
  const buckets = new TokenBuckets(limit, maxKeys);
  return { take: async (subject, cost, now) => buckets.take(subject, cost, now) };
}

/** A quota shared through PostgreSQL: `limiter` names it within the blob service's bucket table. */
export function sharedQuota(buckets: PgTokenBuckets, limiter: string, limit: BucketLimit): UploadQuota {
  const shape = { capacity: limit.burst, perMs: limit.perSecond / 1000 };
  return {
    take: async (subject, cost, now) => {
      // Longer than the whole byte burst: never granted. Answer a finite wait, as the in-memory quota
      // does (its wait is at least this), so Retry-After stays a number.
      if (cost > shape.capacity) return Math.max(1, Math.ceil((cost - shape.capacity) / shape.perMs));
      return PgTokenBuckets.waitMs(await buckets.take(limiter, subject, cost, shape, now), cost, shape);
    },
  };
}
