/** The in-memory `expirations` role (disappearing messages), on `MemoryStore`'s undo-logged maps. */
import type { ConversationTimer, ExpirationStore } from './types.ts';

/** What the role needs of `MemoryStore`'s tables. */
export interface MemoryExpirationTables {
  readonly timers: Map<string, ConversationTimer>;
  /** Message id → scheduled deletion time, ms. */
  readonly expirations: Map<number, number>;
  readonly messages: Map<number, unknown>;
  setMap<K, V>(map: Map<K, V>, key: K, value: V | undefined): void;
}

export class MemoryExpirations implements ExpirationStore {
  constructor(private readonly t: MemoryExpirationTables) {}
  async timer(peer: string) {
    const t = this.t.timers.get(peer);
    return t === undefined ? undefined : { ...t };
  }
  async setTimer(timer: ConversationTimer) {
    this.t.setMap(this.t.timers, timer.peer, { ...timer });
  }
  async schedule(messageId: number, expiresAt: number) {
    if (!this.t.messages.has(messageId)) return;
    const at = this.t.expirations.get(messageId);
    if (at === undefined || expiresAt < at) this.t.setMap(this.t.expirations, messageId, expiresAt);
  }
  async expiresAt(messageId: number) {
    return this.t.expirations.get(messageId);
  }
  async due(now: number, limit: number) {
    return [...this.t.expirations]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1] || a[0] - b[0])
      .slice(0, limit)
      .map(([id]) => id);
  }
  async next() {
    let soonest: number | undefined;
    for (const at of this.t.expirations.values()) if (soonest === undefined || at < soonest) soonest = at;
    return soonest;
  }
}
