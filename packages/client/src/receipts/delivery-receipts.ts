/**
 * Delivery receipts, sent. When a received chat message (1:1 or group) is
 * stored, a delivery receipt for it is queued in the `receipts` store role in
 * the SAME transaction (so a crash between storing and sending loses
 * nothing: the queue is flushed on `start()`). After the commit a flush is
 * scheduled `delayMs` later (default 1 s): every receipt queued by then —
 * e.g. a whole queue drained after reconnecting — goes out as ONE receipt
 * per author (at most `MAX_RECEIPT_TARGETS` targets each, split beyond), to
 * every device of the author's account, on the ordinary 1:1 sessions. A
 * queued receipt is removed only after the relay took its send; a failed
 * send keeps it for the next flush (a repeat is harmless: the author keeps
 * the earliest time).
 */
import type { ClientEvents } from '../client-types.ts';
import { ClientError } from '../errors.ts';
import { encodeContent } from '../content.ts';
import type { ClientStore, PendingDeliveryReceipt, StoreTransaction } from '../store/types.ts';
import { MAX_RECEIPT_TARGETS } from './receipt-codec.ts';

/** Default wait between the first queued delivery receipt and the flush that sends it (and every one queued meanwhile), ms. */
export const DEFAULT_DELIVERY_RECEIPT_DELAY_MS = 1000;

/** What the delivery-receipt sender works with. */
export interface DeliveryReceiptDeps {
  store: ClientStore;
  now: () => number;
  /** Sends an encoded Content to every device of `account` (1:1 sessions); see `Outgoing.sendContent`. */
  sendContent: (account: string, plaintext: Uint8Array, timestamp: number) => Promise<unknown>;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  /** False: nothing is queued (delivery receipts off). */
  enabled: boolean;
  delayMs: number;
}

/** Queues, batches and sends this device's delivery receipts. */
export class DeliveryReceipts {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<number> | undefined;
  #closed = false;

  constructor(private readonly d: DeliveryReceiptDeps) {}

  /** Inside the storing transaction: queues a delivery receipt for a received message of `author`. */
  async queue(tx: StoreTransaction, author: string, timestamp: number, messageId: string | undefined, now: number): Promise<boolean> {
    if (!this.d.enabled) return false;
    await tx.receipts.queueDelivery({ author, timestamp, messageId, queuedAt: now });
    return true;
  }

  /** After the commit: makes sure a flush runs within `delayMs`. */
  schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush().catch((error: unknown) => this.d.emit('error', { error }));
    }, this.d.delayMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /**
   * Sends every queued delivery receipt now (one receipt per author and
   * `MAX_RECEIPT_TARGETS` targets); resolves with how many receipts went out.
   * Concurrent calls share one run. A send that fails is reported as an
   * `error` event and its receipts stay queued.
   */
  flush(): Promise<number> {
    if (this.#running !== undefined) return this.#running.then(() => this.flush());
    const run = this.#flushOnce().finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #flushOnce(): Promise<number> {
    if (this.#closed) return 0;
    const byAuthor = new Map<string, PendingDeliveryReceipt[]>();
    for (const p of await this.d.store.receipts.pendingDeliveries()) byAuthor.set(p.author, [...(byAuthor.get(p.author) ?? []), p]);
    let sent = 0;
    for (const [author, pending] of byAuthor) {
      for (let i = 0; i < pending.length && !this.#closed; i += MAX_RECEIPT_TARGETS) {
        const chunk = pending.slice(i, i + MAX_RECEIPT_TARGETS);
        const targets = chunk.map((p) => (p.messageId === undefined ? { author: p.author, timestamp: p.timestamp } : { author: p.author, timestamp: p.timestamp, messageId: p.messageId }));
        const now = this.d.now();
        try {
          await this.d.sendContent(author, encodeContent({ timestamp: now, receipt: { type: 'delivery', targets } }), now);
        } catch (error) {
          this.d.emit('error', { error });
          // An author we can never write to (no profile key / no devices): its receipts are dropped, not retried forever.
          // (A deleted account, ACCOUNT_DELETED, is such an author too: account-deletion/.)
          if (error instanceof ClientError && (error.code === 'UNKNOWN_RECIPIENT' || error.code === 'ACCOUNT_DELETED')) await this.d.store.receipts.removeDeliveries(pending);
          break; // otherwise the rest for this author stays queued, in order
        }
        await this.d.store.receipts.removeDeliveries(chunk);
        sent++;
      }
    }
    return sent;
  }

  /** Stops the timer and waits for a running flush (what is still queued is sent after the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }
}
