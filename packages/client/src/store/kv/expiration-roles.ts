/**
 * The `expirations` role of `KvStore` (disappearing messages):
 * `timer/peer` (a conversation's timer), `expiry/messageId` (its scheduled
 * deletion time) with the key-only index `expiryAt/expiresAt/messageId`
 * (numbers order numerically, so the first key is the soonest). Semantics
 * follow `MemoryStore` and `SqliteStore` (the store contract runs all three).
 */
import type { ConversationTimer, ExpirationStore } from '../types.ts';
import type { KvTransaction } from './overlay.ts';

export class KvExpirations implements ExpirationStore {
  constructor(private readonly tx: KvTransaction) {}
  timer(peer: string) {
    return this.tx.get<ConversationTimer>(['timer', peer]);
  }
  async setTimer(timer: ConversationTimer) {
    this.tx.put(['timer', timer.peer], { ...timer });
  }
  async schedule(messageId: number, expiresAt: number) {
    if (!(await this.tx.has(['message', messageId]))) return;
    const at = await this.expiresAt(messageId);
    if (at !== undefined && at <= expiresAt) return;
    if (at !== undefined) this.tx.delete(['expiryAt', at, messageId]);
    this.tx.put(['expiry', messageId], expiresAt);
    this.tx.put(['expiryAt', expiresAt, messageId], true);
  }
  expiresAt(messageId: number) {
    return this.tx.get<number>(['expiry', messageId]);
  }
  async due(now: number, limit: number) {
    const out: number[] = [];
    for (const k of await this.tx.scanKeys(['expiryAt'])) {
      if (Number(k[1]) > now || out.length >= limit) break;
      out.push(Number(k[2]));
    }
    return out;
  }
  async next() {
    const first = (await this.tx.scanKeys(['expiryAt']))[0];
    return first === undefined ? undefined : Number(first[1]);
  }
}

/** Drops message `messageId`'s scheduled deletion (with its index key), if any. */
export async function unscheduleExpiry(tx: KvTransaction, messageId: number): Promise<void> {
  const at = await tx.get<number>(['expiry', messageId]);
  if (at === undefined) return;
  tx.delete(['expiry', messageId]);
  tx.delete(['expiryAt', at, messageId]);
}
