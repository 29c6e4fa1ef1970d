/**
 * Hand-off to connected devices: after envelopes are committed for a device,
 * each of its open WebSocket connections gets the committed rows (to push at
 * once if it is caught up) or a wake-up to read its queue. Holds no messages
 * itself — the database is the only queue.
 *
 * `DeliveryNotifier` is the seam for more than one relay instance: an
 * implementation over PostgreSQL LISTEN/NOTIFY or Redis would publish
 * (account, device) on `notify` and call `wake()` on its local listeners
 * when another instance publishes; the queue read does the rest.
 * `DeliveryHub` is the in-process default.
 */
import type { QueuedEnvelope } from './store/index.ts';

/** A connection that can take newly committed envelopes. */
export interface DeliveryListener {
  /** `committed`: rows of this device just committed here, in queue order. */
  deliver(committed: QueuedEnvelope[]): void;
  /** Something was committed for this device elsewhere: read the queue. */
  wake(): void;
  /** Ends the connection with a WebSocket close code and reason (device removed, replaced, ...). */
  disconnect?(code: number, reason: string): void;
}

/** Routes commit notices to the listeners of (account, device). */
export interface DeliveryNotifier {
  /** Registers a listener; returns the function that removes it. */
  subscribe(accountId: string, deviceId: number, listener: DeliveryListener): () => void;
  /** Tells the device's listeners about rows this instance just committed. */
  notify(accountId: string, deviceId: number, committed: QueuedEnvelope[]): void;
  /** Closes this instance's connections of the device; returns how many. (Each instance revalidates its own sockets.) */
  disconnectDevice?(accountId: string, deviceId: number, code: number, reason: string): number;
}

/** In-process `DeliveryNotifier`: listeners of this relay instance only. */
export class DeliveryHub implements DeliveryNotifier {
  private readonly listeners = new Map<string, Set<DeliveryListener>>();

  private static key(accountId: string, deviceId: number): string {
    return `${accountId}\u0000${deviceId}`;
  }

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

  notify(accountId: string, deviceId: number, committed: QueuedEnvelope[]): void {
    const set = this.listeners.get(DeliveryHub.key(accountId, deviceId));
    if (set === undefined) return;
    for (const l of set) l.deliver(committed);
  }

  /** Wakes the device's listeners without rows (what a cross-instance notice does). */
  wake(accountId: string, deviceId: number): void {
    const set = this.listeners.get(DeliveryHub.key(accountId, deviceId));
    if (set === undefined) return;
    for (const l of set) l.wake();
  }

  /**
   * Closes every connection of (account, device) on this instance with
   * `code`/`reason` (e.g. the device was removed); returns how many.
   */
  disconnectDevice(accountId: string, deviceId: number, code: number, reason: string): number {
    const set = this.listeners.get(DeliveryHub.key(accountId, deviceId));
    if (set === undefined) return 0;
    let n = 0;
    for (const l of [...set]) {
      if (l.disconnect === undefined) continue;
      l.disconnect(code, reason);
      n++;
    }
    return n;
  }

  /** Number of open listeners (for tests and health). */
  get size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
