/**
 * In-process wake-ups for connected devices: after envelopes are committed
 * for a device, each of its open WebSocket connections is told to pump its
 * queue. Holds no messages itself — the database is the only queue.
 */

/** Something that can be woken to send newly queued envelopes. */
export interface DeliveryListener {
  wake(): void;
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

  /** Wakes every listener of a device. */
  notify(accountId: string, deviceId: number): void {
    const set = this.listeners.get(DeliveryHub.key(accountId, deviceId));
    if (set === undefined) return;
    for (const l of set) l.wake();
  }

  /** Number of open listeners (for tests and health). */
  get size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
