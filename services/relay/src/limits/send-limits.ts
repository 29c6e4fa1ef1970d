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
 * Budgets live in memory (per process), in bounded maps. A budget whose
 * burst is 0 is off (e.g. behind a proxy, where every client is one source).
 */
import type { RelayLimits } from '../context.ts';
import { BucketMap } from './token-bucket.ts';

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

/** What the limiter needs of a bucket map. */
interface Budget {
  get(key: string, now: number): { waitMs(n: number, now: number): number; take(n: number, now: number): boolean };
}

/** A budget that is switched off: never waits, never runs out. */
const OFF: Budget = { get: () => ({ waitMs: () => 0, take: () => true }) };

/** The relay's send budgets. */
export class SendLimiter {
  private readonly sourceCount: Budget;
  private readonly sourceBytes: Budget;
  private readonly pairCount: Budget;
  private readonly pairBytes: Budget;

  constructor(limits: RelayLimits) {
    const max = limits.rateLimitEntries;
    const budget = (burst: number, perMs: number): Budget => (burst > 0 ? new BucketMap(burst, perMs, max) : OFF);
    this.sourceCount = budget(limits.sourceBurst, limits.sourcePerSecond / 1000);
    this.sourceBytes = budget(limits.sourceBytesBurst, limits.sourceBytesPerSecond / 1000);
    this.pairCount = budget(limits.recipientSourceBurst, limits.recipientSourcePerHour / HOUR);
    this.pairBytes = budget(limits.recipientSourceBytesBurst, limits.recipientSourceBytesPerHour / HOUR);
  }

  /**
   * Charges one send from `source` to `recipients` (all budgets or none);
   * undefined when allowed, else which budget refused it.
   */
  charge(source: string, recipients: RecipientCost[], now: number): LimitRefusal | undefined {
    const total = recipients.reduce((n, r) => n + r.bytes, 0);
    const sc = this.sourceCount.get(source, now);
    const sb = this.sourceBytes.get(source, now);
    const wait = Math.max(sc.waitMs(recipients.length, now), sb.waitMs(total, now));
    if (wait > 0) return { scope: 'source', retryAfterSeconds: seconds(wait) };
    const pairs = recipients.map((r) => {
      const key = `${r.accountId}\u0000${source}`;
      return { count: this.pairCount.get(key, now), bytes: this.pairBytes.get(key, now), cost: r.bytes };
    });
    let pairWait = 0;
    for (const p of pairs) pairWait = Math.max(pairWait, p.count.waitMs(1, now), p.bytes.waitMs(p.cost, now));
    if (pairWait > 0) return { scope: 'recipient', retryAfterSeconds: seconds(pairWait) };
    sc.take(recipients.length, now);
    sb.take(total, now);
    for (const p of pairs) {
      p.count.take(1, now);
      p.bytes.take(p.cost, now);
    }
    return undefined;
  }
}

/** Retry-After seconds for a wait in ms (at least 1; "a day" when the budget can never cover it). */
function seconds(ms: number): number {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 86_400;
}
