/**
 * `client.receipts`: what receipts say about our messages, the delivery
 * receipts this device still owes, and who is typing. Wiring: `ReceiptInbound`
 * (received receipts, typing, queuing delivery receipts), `DeliveryReceipts`
 * (batched sending), `TypingSender` / `TypingTracker` (typing.ts).
 */
import { encodeContent, type MessageRef } from '../content.ts';
import { ClientError } from '../errors.ts';
import type { ClientStore, DeviceAddress } from '../store/types.ts';
import type { DeliveryReceipts } from './delivery-receipts.ts';
import { MAX_RECEIPT_TARGETS, type ReceiptType } from './receipt-codec.ts';
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
  /** Sends an encoded Content to every device of `account` (1:1 sessions); see `Outgoing.sendContent`. */
  sendContent: (account: string, plaintext: Uint8Array, timestamp: number) => Promise<unknown>;
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

  /**
   * Sends a `type` receipt for `targets` (messages of `to`) to every device
   * of account `to`, split into receipts of at most `MAX_RECEIPT_TARGETS`;
   * resolves with how many receipts went out. Delivery receipts are sent
   * automatically; this is the primitive for read receipts (a read listener
   * calls it after `markRead`). Never stored; not answered with a receipt.
   */
  async send(to: string, type: ReceiptType, targets: readonly MessageRef[]): Promise<number> {
    const contents = receiptContents(type, targets, this.d.now);
    for (const { timestamp, plaintext } of contents) await this.d.sendContent(to, plaintext, timestamp);
    return contents.length;
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

/**
 * The encoded `Content`s that carry a receipt of `type` for `targets`: one per
 * `MAX_RECEIPT_TARGETS` targets, each with the timestamp `now()` gives it.
 */
export function receiptContents(type: ReceiptType, targets: readonly MessageRef[], now: () => number): { timestamp: number; plaintext: Uint8Array }[] {
  const out: { timestamp: number; plaintext: Uint8Array }[] = [];
  for (let i = 0; i < targets.length; i += MAX_RECEIPT_TARGETS) {
    const timestamp = now();
    out.push({ timestamp, plaintext: encodeContent({ timestamp, receipt: { type, targets: targets.slice(i, i + MAX_RECEIPT_TARGETS) } }) });
  }
  return out;
}
