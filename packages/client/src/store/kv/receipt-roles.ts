/**
 * The `receipts` role of `KvStore`: `receiptStatus/author/timestamp/account/device`
 * (a `RecipientReceiptStatus`) and `receiptPending/author/timestamp` (a
 * `PendingDeliveryReceipt`). Semantics follow `MemoryStore` and `SqliteStore`
 * (test/support/receipt-store-contract.ts runs all three).
 */
import { compareStatus, comparePending, mergeReceipt } from '../receipt-status.ts';
import type { DeviceAddress, PendingDeliveryReceipt, ReceiptMessageKey, ReceiptStore, RecipientReceiptStatus } from '../types.ts';
import type { KvKey } from './keys.ts';
import type { KvTransaction } from './overlay.ts';

export class KvReceipts implements ReceiptStore {
  constructor(private readonly tx: KvTransaction) {}

  async record(key: ReceiptMessageKey, recipient: DeviceAddress, type: 'delivery' | 'read', at: number) {
    const k: KvKey = ['receiptStatus', key.author, key.timestamp, recipient.account, recipient.device];
    this.tx.put(k, mergeReceipt(await this.tx.get<RecipientReceiptStatus>(k), recipient.account, recipient.device, type, at));
  }
  async status(key: ReceiptMessageKey) {
    return (await this.tx.scan<RecipientReceiptStatus>(['receiptStatus', key.author, key.timestamp])).map(([, s]) => s).sort(compareStatus);
  }
  async queueDelivery(r: PendingDeliveryReceipt) {
    const k: KvKey = ['receiptPending', r.author, r.timestamp];
    if (!(await this.tx.has(k))) this.tx.put(k, { author: r.author, timestamp: r.timestamp, messageId: r.messageId, queuedAt: r.queuedAt });
  }
  async pendingDeliveries(limit?: number) {
    const all = (await this.tx.scan<PendingDeliveryReceipt>(['receiptPending'])).map(([, r]) => r).sort(comparePending);
    return limit === undefined ? all : all.slice(0, Math.max(0, limit));
  }
  async removeDeliveries(keys: readonly ReceiptMessageKey[]) {
    for (const k of keys) this.tx.delete(['receiptPending', k.author, k.timestamp]);
  }
}
