/**
 * Builds the client's receipt and typing parts from its options: delivery
 * receipts (queued, batched), the typing sender and tracker, the
 * `client.receipts` API and the inbound hook `Incoming` calls.
 */
import type { ClientEvents } from '../client-types.ts';
import type { ClientStore, RegisteredAccount } from '../store/types.ts';
import { DEFAULT_DELIVERY_RECEIPT_DELAY_MS, DeliveryReceipts } from './delivery-receipts.ts';
import { ReceiptInbound } from './receipt-inbound.ts';
import { Receipts, type ReceiptOptions } from './receipts.ts';
import { DEFAULT_TYPING_EXPIRY_MS, DEFAULT_TYPING_STARTED_INTERVAL_MS, TypingSender, TypingTracker } from './typing.ts';

/** What the parts need of the client. */
export interface ReceiptPartsDeps {
  store: ClientStore;
  now: () => number;
  own: () => RegisteredAccount;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  /** `Outgoing.sendContent`: an encoded Content to every device of `account` (`ephemeral`: dropped rather than kept in the outbox). */
  sendContent: (account: string, plaintext: Uint8Array, timestamp: number, options?: { ephemeral?: boolean }) => Promise<unknown>;
  options: ReceiptOptions | undefined;
}

/** The built parts. */
export interface ReceiptParts {
  delivery: DeliveryReceipts;
  typing: TypingSender;
  receipts: Receipts;
  inbound: ReceiptInbound;
}

export function receiptParts(d: ReceiptPartsDeps): ReceiptParts {
  const o = d.options ?? {};
  const send = (account: string, plaintext: Uint8Array, timestamp: number) => d.sendContent(account, plaintext, timestamp);
  const delivery = new DeliveryReceipts({ store: d.store, now: d.now, emit: d.emit, enabled: o.delivery ?? true, delayMs: o.deliveryDelayMs ?? DEFAULT_DELIVERY_RECEIPT_DELAY_MS, sendContent: send });
  const tracker = new TypingTracker(o.typingExpiryMs ?? DEFAULT_TYPING_EXPIRY_MS);
  const typing = new TypingSender({
    store: d.store, now: d.now, own: d.own, startedIntervalMs: o.typingStartedIntervalMs ?? DEFAULT_TYPING_STARTED_INTERVAL_MS,
    onError: (error) => d.emit('error', { error }),
    sendEphemeral: (account, plaintext, timestamp) => d.sendContent(account, plaintext, timestamp, { ephemeral: true }),
  });
  const receipts = new Receipts({ store: d.store, now: d.now, own: () => d.own().account, delivery, typing: tracker, sendContent: send });
  const inbound = new ReceiptInbound({ own: d.own, emit: d.emit, delivery, typing: tracker });
  return { delivery, typing, receipts, inbound };
}
