/** The in-memory `receipts` role (see `ReceiptStore`), its maps undo-logged by `MemoryStore`'s transaction. */
import { compareStatus, comparePending, mergeReceipt } from './receipt-status.ts';
import type { DeviceAddress, PendingDeliveryReceipt, ReceiptMessageKey, ReceiptStore, RecipientReceiptStatus } from './types.ts';

/** What the role needs of `MemoryStore`'s tables: the undo-logged write. */
export interface MemoryReceiptTables {
  setMap<K, V>(map: Map<K, V>, key: K, value: V | undefined): void;
}

const messageKey = (k: ReceiptMessageKey) => `${k.author}\u0000${k.timestamp}`;

export class MemoryReceipts implements ReceiptStore {
  /** Message key → recipient "account.device" → status. */
  readonly #status = new Map<string, Map<string, RecipientReceiptStatus>>();
  readonly #pending = new Map<string, PendingDeliveryReceipt>();

  constructor(private readonly t: MemoryReceiptTables) {}

  async record(key: ReceiptMessageKey, recipient: DeviceAddress, type: 'delivery' | 'read', at: number) {
    const k = messageKey(key);
    let byDevice = this.#status.get(k);
    if (byDevice === undefined) {
      byDevice = new Map();
      this.t.setMap(this.#status, k, byDevice);
    }
    const rk = `${recipient.account}.${recipient.device}`;
    this.t.setMap(byDevice, rk, mergeReceipt(byDevice.get(rk), recipient.account, recipient.device, type, at));
  }
  async status(key: ReceiptMessageKey) {
    return [...(this.#status.get(messageKey(key))?.values() ?? [])].map((s) => ({ ...s })).sort(compareStatus);
  }
  async queueDelivery(r: PendingDeliveryReceipt) {
    const k = messageKey(r);
    if (!this.#pending.has(k)) this.t.setMap(this.#pending, k, { ...r });
  }
  async pendingDeliveries(limit?: number) {
    const all = [...this.#pending.values()].sort(comparePending).map((r) => ({ ...r }));
    return limit === undefined ? all : all.slice(0, Math.max(0, limit));
  }
  async removeDeliveries(keys: readonly ReceiptMessageKey[]) {
    for (const k of keys) this.t.setMap(this.#pending, messageKey(k), undefined);
  }
}
