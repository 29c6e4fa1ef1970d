/**
 * Rate limits on sealed sends. Senders are anonymous, so the relay charges
 * what it can see: the source address (`sourceOf`) and the recipient.
 *
 * - per (recipient account, source): envelopes and bytes. Every sender
 *   holding a recipient's access key presents the same key, so a budget per
 *   key alone would let one holder lock out all the others; a budget per
 *   (recipient, source) gives each source its own share. The defaults
 *   (burst 2,000, then 15 an hour) keep what one source can queue for one
 *   recipient within a week's TTL (2,000 + 15 × 168 = 4,520) under half the
 *   default queue depth, so one source cannot fill a queue and lock out
 *   real senders.
 * - per source, over all recipients: envelopes and bytes (what one client
 *   may write to the disk per second).
 *
 * Budgets live in a `BucketStore`: bounded per-process maps by default, or
 * PostgreSQL when the relay runs on it (shared by every instance). A budget
 * whose burst is 0 is off (e.g. behind a proxy, where every client is one source).
 */
import type { RelayLimits } from '../context.ts';
import { MemoryBucketStore, type BucketSpec, type BucketStore, type BucketTake } from './bucket-store.ts';

/** What one send costs one recipient. */
export interface RecipientCost {
  accountId: string;
  /** Envelopes stored for it (one per device). */
  bytes: number;
}

/** A refused send: which budget, and when to try again (s). */
export interface LimitRefusal {
  scope: 'source' | 'recipient';
  retryAfterSeconds: number;
}

const HOUR = 3_600_000;

/** The relay's send budgets, over a `BucketStore` (in-process, or shared in PostgreSQL). */
export class SendLimiter {
  private readonly sourceCount: BucketSpec | undefined;
  private readonly sourceBytes: BucketSpec | undefined;
  private readonly pairCount: BucketSpec | undefined;
  private readonly pairBytes: BucketSpec | undefined;

  constructor(
    limits: RelayLimits,
    private readonly buckets: BucketStore = new MemoryBucketStore(limits.rateLimitEntries),
  ) {
    // A budget whose burst is 0 is off.
    const spec = (name: string, burst: number, perMs: number): BucketSpec | undefined => (burst > 0 ? { name, capacity: burst, perMs } : undefined);
    this.sourceCount = spec('source-count', limits.sourceBurst, limits.sourcePerSecond / 1000);
    this.sourceBytes = spec('source-bytes', limits.sourceBytesBurst, limits.sourceBytesPerSecond / 1000);
    this.pairCount = spec('pair-count', limits.recipientSourceBurst, limits.recipientSourcePerHour / HOUR);
    this.pairBytes = spec('pair-bytes', limits.recipientSourceBytesBurst, limits.recipientSourceBytesPerHour / HOUR);
  }

  /**
   * Charges one send from `source` to `recipients` (all budgets or none);
   * undefined when allowed, else which budget refused it (the source's
   * first: a send its source cannot afford is refused as such).
   */
  async charge(source: string, recipients: RecipientCost[], now: number): Promise<LimitRefusal | undefined> {
    const total = recipients.reduce((n, r) => n + r.bytes, 0);
    const takes: Array<BucketTake & { scope: LimitRefusal['scope'] }> = [];
    const add = (spec: BucketSpec | undefined, key: string, n: number, scope: LimitRefusal['scope']): void => {
      if (spec !== undefined) takes.push({ spec, key, n, scope });
    };
    add(this.sourceCount, source, recipients.length, 'source');
    add(this.sourceBytes, source, total, 'source');
    for (const r of recipients) {
      const key = `${r.accountId} ${source}`;
      add(this.pairCount, key, 1, 'recipient');
      add(this.pairBytes, key, r.bytes, 'recipient');
    }
    if (takes.length === 0) return undefined;
    const waits = await this.buckets.takeAll(takes, now);
    let sourceWait = 0;
    let pairWait = 0;
    takes.forEach((t, i) => {
      if (t.scope === 'source') sourceWait = Math.max(sourceWait, waits[i]!);
      else pairWait = Math.max(pairWait, waits[i]!);
    });
    if (sourceWait > 0) return { scope: 'source', retryAfterSeconds: seconds(sourceWait) };
    if (pairWait > 0) return { scope: 'recipient', retryAfterSeconds: seconds(pairWait) };
    return undefined;
  }

  /** Forgets refilled buckets (the expiry sweep calls this). */
  prune(now: number): Promise<number> {
    return this.buckets.prune(now);
  }
}

/** Retry-After seconds for a wait in ms (at least 1; "a day" when the budget can never cover it). */
function seconds(ms: number): number {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 86_400;
}
