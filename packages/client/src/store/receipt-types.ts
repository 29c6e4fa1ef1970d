/** The `receipts` role's types (re-exported by store/types.ts). */
import type { DeviceAddress } from './types.ts';

/** A message of ours, by author (this account) and the author's timestamp. */
export interface ReceiptMessageKey {
  readonly author: string;
  readonly timestamp: number;
}

/** What one recipient device said about one of our messages. */
export interface RecipientReceiptStatus {
  readonly account: string;
  readonly device: number;
  /** When it said it received the message (a read receipt also sets it, when no delivery receipt came first), ms. */
  readonly deliveredAt: number | undefined;
  /** When it said it read the message, ms. */
  readonly readAt: number | undefined;
}

/** A delivery receipt this device still owes the author of a stored message. */
export interface PendingDeliveryReceipt {
  readonly author: string;
  readonly timestamp: number;
  readonly messageId: string | undefined;
  readonly queuedAt: number;
}

/** The `receipts` role (see receipts/ in the client). */
export interface ReceiptStore {
  /** Records that `recipient` received (`delivery`) or read (`read`) message `key` at `at`; an earlier time already recorded is kept; a read also sets `deliveredAt` when it was unset. */
  record(key: ReceiptMessageKey, recipient: DeviceAddress, type: 'delivery' | 'read', at: number): Promise<void>;
  /** Every recipient device's status of message `key`, by account, then device. */
  status(key: ReceiptMessageKey): Promise<RecipientReceiptStatus[]>;
  /** Queues a delivery receipt (a second one for the same author and timestamp is ignored). */
  queueDelivery(receipt: PendingDeliveryReceipt): Promise<void>;
  /** Queued delivery receipts by `queuedAt`, then author, then timestamp; at most `limit` (default all). */
  pendingDeliveries(limit?: number): Promise<PendingDeliveryReceipt[]>;
  /** Removes queued delivery receipts. */
  removeDeliveries(keys: readonly ReceiptMessageKey[]): Promise<void>;
}
