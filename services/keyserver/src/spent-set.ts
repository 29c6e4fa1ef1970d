/**
 * What makes registration tokens and proof-of-work challenges single use:
 * the ids already spent, each kept until it would have expired anyway.
 * Bounded: when it is full of unexpired ids it refuses new ones ("busy")
 * rather than forget one (forgetting would let that token be used twice).
 * Only ids that passed their signature / tag check get here, so filling it
 * costs an attacker real tokens or real work. In memory, per process;
 * `PostgresSpentSet` shares them between instances.
 */

/** Outcome of spending an id. */
export type SpendResult = 'ok' | 'reused' | 'busy';

/** Where spent ids live: in memory here, in PostgreSQL behind several instances (pg-spent-set.ts). */
export interface SpentIds {
  /** Records `id` as spent until `expiresAt`: 'reused' if it already is, 'busy' if no more can be tracked. */
  spend(id: string, expiresAt: number, now: number): SpendResult | Promise<SpendResult>;
  /** Forgets `id` (its request failed for another reason, so it may be tried again). */
  release(id: string): void | Promise<void>;
}

export class SpentSet implements SpentIds {
  private readonly spent = new Map<string, number>();

  constructor(readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('SpentSet needs maxEntries >= 1');
  }

  /** Records `id` as spent until `expiresAt`. */
  spend(id: string, expiresAt: number, now: number): SpendResult {
    const until = this.spent.get(id);
    if (until !== undefined && until > now) return 'reused';
    if (until === undefined && this.spent.size >= this.maxEntries) {
      for (const [k, t] of this.spent) if (t <= now) this.spent.delete(k);
      if (this.spent.size >= this.maxEntries) return 'busy';
    }
    this.spent.set(id, expiresAt);
    return 'ok';
  }

  /** Forgets `id` (its request failed for another reason, so it may be tried again). */
  release(id: string): void {
    this.spent.delete(id);
  }

  get size(): number {
    return this.spent.size;
  }
}
