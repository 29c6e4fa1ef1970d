/**
 * `client.receipts`: what receipts say about our messages, the delivery
 * receipts this device still owes, and who is typing. Wiring: `ReceiptInbound`
 * (received receipts, typing, queuing delivery receipts), `DeliveryReceipts`
 * (batched sending), `TypingSender` / `TypingTracker` (typing.ts).
 */
import type { MessageRef } from '../content.ts';
import { ClientError } from '../errors.ts';
import type { ClientStore, DeviceAddress } from '../store/types.ts';
import type { DeliveryReceipts } from './delivery-receipts.ts';
import type { TypingTracker } from './typing.ts';

/** Options of the receipts part (`SealpostClientOptions.receipts`). */
export interface ReceiptOptions {
  /** Send delivery receipts for received messages (default true). */
  delivery?: boolean;
  /** Batching window: how long after the first queued delivery receipt the batch is sent, ms (default 1000). */
  deliveryDelayMs?: number;
  /** A repeated STARTED in one conversation is sent at most this often, ms (default 3000). */
  typingStartedIntervalMs?: number;
  /** A received STARTED is treated as stopped after this long without a refresh, ms (default 15000). */
  typingExpiryMs?: number;
}

/** One recipient device's word on a message, with its time. */
export interface RecipientMark {
  account: string;
  device: number;
  /** ms */
  at: number;
}

/** What `client.receipts.status(ref)` answers. */
export interface MessageReceiptStatus {
  /** Recipient devices that received it (a read counts), by account and device. */
  deliveredTo: RecipientMark[];
  /** Recipient devices that read it. */
  readBy: RecipientMark[];
}

/** What the namespace works with. */
export interface ReceiptsDeps {
  store: ClientStore;
  now: () => number;
  own: () => string;
  delivery: DeliveryReceipts;
  typing: TypingTracker;
}

export class Receipts {
  constructor(private readonly d: ReceiptsDeps) {}

  /** Which recipient devices received and read our message `ref` (as their receipts said). A ref of another author is `INVALID_DATA`. */
  async status(ref: MessageRef): Promise<MessageReceiptStatus> {
    if (ref.author !== this.d.own()) throw new ClientError('INVALID_DATA', 'receipt status is kept for messages of this account only');
    const rows = await this.d.store.receipts.status({ author: ref.author, timestamp: ref.timestamp });
    const deliveredTo: RecipientMark[] = [];
    const readBy: RecipientMark[] = [];
    for (const r of rows) {
      if (r.deliveredAt !== undefined) deliveredTo.push({ account: r.account, device: r.device, at: r.deliveredAt });
      if (r.readAt !== undefined) readBy.push({ account: r.account, device: r.device, at: r.readAt });
    }
    return { deliveredTo, readBy };
  }

  /** Sends every queued delivery receipt now instead of at the end of the batching window; resolves with how many receipts went out. */
  flush(): Promise<number> {
    return this.d.delivery.flush();
  }

  /** The devices typing in `conversation` (an account id or `group:<id>`) now: STARTED, not STOPPED, not expired. */
  typingNow(conversation: string): DeviceAddress[] {
    return this.d.typing.typingNow(conversation, this.d.now());
  }
}
