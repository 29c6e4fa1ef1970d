/** The SQLite `receipts` role (migration 7: `receipt_status`, `receipt_pending`); see `ReceiptStore`. */
import { mergeReceipt } from './receipt-status.ts';
import type { Statements } from './sqlite-roles.ts';
import type { DeviceAddress, PendingDeliveryReceipt, ReceiptMessageKey, ReceiptStore, RecipientReceiptStatus } from './types.ts';

type Row = Record<string, unknown>;
const optional = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
const toStatus = (r: Row): RecipientReceiptStatus => ({ account: String(r.account), device: Number(r.device), deliveredAt: optional(r.delivered_at), readAt: optional(r.read_at) });

export class SqliteReceipts implements ReceiptStore {
  constructor(private readonly s: Statements) {}

  async record(key: ReceiptMessageKey, recipient: DeviceAddress, type: 'delivery' | 'read', at: number) {
    const old = this.s
      .get('SELECT account, device, delivered_at, read_at FROM receipt_status WHERE author = ? AND timestamp = ? AND account = ? AND device = ?')
      .get(key.author, key.timestamp, recipient.account, recipient.device) as Row | undefined;
    const next = mergeReceipt(old === undefined ? undefined : toStatus(old), recipient.account, recipient.device, type, at);
    this.s
      .get(
        `INSERT INTO receipt_status (author, timestamp, account, device, delivered_at, read_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (author, timestamp, account, device) DO UPDATE SET delivered_at = excluded.delivered_at, read_at = excluded.read_at`,
      )
      .run(key.author, key.timestamp, recipient.account, recipient.device, next.deliveredAt ?? null, next.readAt ?? null);
  }
  async status(key: ReceiptMessageKey) {
    const rows = this.s.get('SELECT account, device, delivered_at, read_at FROM receipt_status WHERE author = ? AND timestamp = ? ORDER BY account, device').all(key.author, key.timestamp) as Row[];
    return rows.map(toStatus);
  }
  async queueDelivery(r: PendingDeliveryReceipt) {
    this.s.get('INSERT OR IGNORE INTO receipt_pending (author, timestamp, message_id, queued_at) VALUES (?, ?, ?, ?)').run(r.author, r.timestamp, r.messageId ?? null, r.queuedAt);
  }
  async pendingDeliveries(limit?: number) {
    const rows = this.s.get('SELECT author, timestamp, message_id, queued_at FROM receipt_pending ORDER BY queued_at, author, timestamp LIMIT ?').all(limit ?? -1) as Row[];
    return rows.map((r) => ({ author: String(r.author), timestamp: Number(r.timestamp), messageId: r.message_id === null ? undefined : String(r.message_id), queuedAt: Number(r.queued_at) }));
  }
  async removeDeliveries(keys: readonly ReceiptMessageKey[]) {
    const del = this.s.get('DELETE FROM receipt_pending WHERE author = ? AND timestamp = ?');
    for (const k of keys) del.run(k.author, k.timestamp);
  }
}
