/**
 * Hand-off to connected devices, and the relay's cluster notices.
 *
 * After envelopes are committed for a device, each of its open WebSocket
 * connections gets the committed rows (to push at once if it is caught up)
 * or a wake-up to read its queue. Holds no messages itself — the database
 * is the only queue.
 *
 * `DeliveryNotifier` is the seam for more than one relay instance. Besides
 * "envelopes were queued for (account, device)" it carries the notices every
 * instance must act on: "a device was removed" (close its sockets, forget
 * cached device lists and credentials), "an account's access key changed"
 * (forget the cached hash) and "a provisioning mailbox got its message".
 * `DeliveryHub` is the in-process default (one instance: every notice is
 * handled here at once); `PostgresDeliveryNotifier`
 * (notify/pg-delivery-notifier.ts) carries them over PostgreSQL
 * LISTEN/NOTIFY.
 */
import type { FastifyBaseLogger } from 'fastify';
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

/**
 * What this instance does about a notice, whichever instance published it
 * (wired once by `buildRelay`). Handlers never publish.
 */
export interface RelayNoticeHandlers {
  /** A device was removed: close its sockets here, forget what is cached about it. */
  deviceRemoved(accountId: string, deviceId: number): void;
  /** The account's access key was replaced: forget its cached hash. */
  accessKeyChanged(accountId: string): void;
  /** The provisioning mailbox with this key (hex of SHA-256 of its id) has a message waiting. */
  mailboxFilled(mailboxKey: string): void;
  /**
   * Notices may have been missed (the listener reconnected): re-read every
   * local socket's queue, forget cached access keys, look at local mailboxes.
   */
  resync(): void;
}

/** Routes commit notices to the listeners of (account, device), and cluster notices to every instance. */
export interface DeliveryNotifier {
  /** Registers a listener; returns the function that removes it. */
  subscribe(accountId: string, deviceId: number, listener: DeliveryListener): () => void;
  /**
   * Tells the device's listeners — here and on every other instance — about
   * rows this instance just committed. Only a notifier that sees every
   * commit of the device (one instance) may pass the rows to `deliver`;
   * behind several instances local listeners must `wake` (read the queue).
   */
  notify(accountId: string, deviceId: number, committed: QueuedEnvelope[]): void;
  /** Closes this instance's connections of the device; returns how many. */
  disconnectDevice?(accountId: string, deviceId: number, code: number, reason: string): number;
  /** Wakes every listener on this instance (after notices may have been missed). */
  wakeAll?(): void;
  /** Takes the handlers notices are dispatched to, and the app's logger (called once, before any notice is published). */
  attach?(handlers: RelayNoticeHandlers, log?: FastifyBaseLogger): void;
  /** Tells every instance, this one included, that the device was removed. */
  deviceRemoved?(accountId: string, deviceId: number): void;
  /** Tells every instance, this one included, that the account's access key changed. */
  accessKeyChanged?(accountId: string): void;
  /** Tells every instance, this one included, that a mailbox has its message. */
  mailboxFilled?(mailboxKey: string): void;
  /**
   * False while this instance may be missing other instances' notices (a
   * cross-instance notifier whose listener is down): caches that rely on
   * notices for invalidation must not serve then. Absent: always true.
   */
  readonly live?: boolean;
  /** Releases connections (the app's onClose). */
  close?(): Promise<void>;
}

/** In-process `DeliveryNotifier`: listeners of this relay instance only. */
export class DeliveryHub implements DeliveryNotifier {
  private readonly listeners = new Map<string, Set<DeliveryListener>>();
  private handlers: RelayNoticeHandlers | undefined;

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

  /** Wakes every listener of this instance. */
  wakeAll(): void {
    for (const set of this.listeners.values()) for (const l of set) l.wake();
  }

  attach(handlers: RelayNoticeHandlers): void {
    this.handlers = handlers;
  }

  /** One instance: a removal is handled here and now. */
  deviceRemoved(accountId: string, deviceId: number): void {
    this.handlers?.deviceRemoved(accountId, deviceId);
  }

  accessKeyChanged(accountId: string): void {
    this.handlers?.accessKeyChanged(accountId);
  }

  mailboxFilled(mailboxKey: string): void {
    this.handlers?.mailboxFilled(mailboxKey);
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
