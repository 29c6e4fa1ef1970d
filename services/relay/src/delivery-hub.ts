/**
 * In-process hand-off to connected devices: after envelopes are committed
 * for a device, each of its open WebSocket connections gets the committed
 * rows (to push at once if it is caught up) or a wake-up to read its queue.
 * Holds no messages itself — the database is the only queue.
 */
import type { QueuedEnvelope } from './store.ts';

/** A connection that can take newly committed envelopes. */
export interface DeliveryListener {
  /** `committed`: rows of this device just committed, in queue order. */
  deliver(committed: QueuedEnvelope[]): void;
}

/** Routes wake-ups by (account, device). */
export class DeliveryHub {
  private readonly listeners = new Map<string, Set<DeliveryListener>>();

  private static key(accountId: string, deviceId: number): string {
    return `${accountId}\u0000${deviceId}`;
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(accountId: string, deviceId: number, listener: DeliveryListener): () => void {
    const k = DeliveryHub.key(accountId, deviceId);
    let set = this.listeners.get(k);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(k, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(k);
    };
  }

  /** Hands a device's newly committed rows to its listeners. */
  notify(accountId: string, deviceId: number, committed: QueuedEnvelope[]): void {
    const set = this.listeners.get(DeliveryHub.key(accountId, deviceId));
    if (set === undefined) return;
    for (const l of set) l.deliver(committed);
  }

  /** Number of open listeners (for tests and health). */
  get size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
