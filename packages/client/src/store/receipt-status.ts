/** Shared by the three `ReceiptStore` backends: how a new receipt merges into a recipient's status. */
import type { RecipientReceiptStatus } from './types.ts';

const earliest = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** `old` (or nothing) with a `type` receipt at `at` applied: earliest times win; a read counts as delivered. */
export function mergeReceipt(old: RecipientReceiptStatus | undefined, account: string, device: number, type: 'delivery' | 'read', at: number): RecipientReceiptStatus {
  const deliveredAt = earliest(old?.deliveredAt, at);
  const readAt = type === 'read' ? earliest(old?.readAt, at) : old?.readAt;
  return { account, device, deliveredAt, readAt };
}

/** Pending-receipt order: queued time, then author, then timestamp. */
export function comparePending(a: { queuedAt: number; author: string; timestamp: number }, b: { queuedAt: number; author: string; timestamp: number }): number {
  return a.queuedAt - b.queuedAt || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0) || a.timestamp - b.timestamp;
}

/** Status order: account, then device. */
export function compareStatus(a: RecipientReceiptStatus, b: RecipientReceiptStatus): number {
  return (a.account < b.account ? -1 : a.account > b.account ? 1 : 0) || a.device - b.device;
}
