/**
 * The contract of the `receipts` store role (issue 18), run on every store:
 * memory, SQLite and KvStore in store.test.ts, IndexedDB in Chromium in
 * test/browser/browser-store-contract.test.ts.
 */
import { expect, it } from 'vitest';
import type { ClientStore } from '../../src/store/types.ts';

const msg = { author: 'acct-a', timestamp: 1000 };
const other = { author: 'acct-a', timestamp: 2000 };
const bob1 = { account: 'acct-b', device: 1 };
const bob2 = { account: 'acct-b', device: 2 };
const carol = { account: 'acct-c', device: 1 };

/** Defines the receipts role's tests for stores made by `open` (inside a describe). */
export function receiptStoreContract(open: () => ClientStore): void {
  it('receipts: records per recipient device, earliest time wins, a read counts as delivered, ordered by account then device', async () => {
    const s = open();
    expect(await s.receipts.status(msg)).toEqual([]);
    await s.receipts.record(msg, carol, 'read', 50);
    await s.receipts.record(msg, bob2, 'delivery', 30);
    await s.receipts.record(msg, bob1, 'delivery', 20);
    await s.receipts.record(msg, bob1, 'delivery', 10); // earlier: wins
    await s.receipts.record(msg, bob1, 'delivery', 40); // later: ignored
    await s.receipts.record(msg, bob1, 'read', 60);
    await s.receipts.record(msg, bob1, 'read', 70);
    const want = [
      { account: 'acct-b', device: 1, deliveredAt: 10, readAt: 60 },
      { account: 'acct-b', device: 2, deliveredAt: 30, readAt: undefined },
      { account: 'acct-c', device: 1, deliveredAt: 50, readAt: 50 },
    ];
    const norm = (rows: Awaited<ReturnType<ClientStore['receipts']['status']>>) => rows.map((r) => ({ account: r.account, device: r.device, deliveredAt: r.deliveredAt, readAt: r.readAt }));
    expect(norm(await s.receipts.status(msg))).toEqual(want);
    expect(await s.receipts.status(other)).toEqual([]);
    expect(await s.receipts.status({ author: 'acct-x', timestamp: 1000 })).toEqual([]);
    // A delivery after the read keeps both times.
    await s.receipts.record(msg, carol, 'delivery', 45);
    expect(norm(await s.receipts.status(msg))[2]).toEqual({ account: 'acct-c', device: 1, deliveredAt: 45, readAt: 50 });
    await s.close();
  });

  it('receipts: queued delivery receipts are kept once, listed oldest first (limit), removed by key', async () => {
    const s = open();
    expect(await s.receipts.pendingDeliveries()).toEqual([]);
    await s.receipts.queueDelivery({ author: 'acct-b', timestamp: 7, messageId: 'm7', queuedAt: 20 });
    await s.receipts.queueDelivery({ author: 'acct-c', timestamp: 5, messageId: undefined, queuedAt: 10 });
    await s.receipts.queueDelivery({ author: 'acct-b', timestamp: 6, messageId: undefined, queuedAt: 20 });
    await s.receipts.queueDelivery({ author: 'acct-b', timestamp: 7, messageId: 'other', queuedAt: 30 }); // same message: ignored
    const norm = (rows: Awaited<ReturnType<ClientStore['receipts']['pendingDeliveries']>>) => rows.map((r) => [r.author, r.timestamp, r.messageId ?? null, r.queuedAt]);
    expect(norm(await s.receipts.pendingDeliveries())).toEqual([
      ['acct-c', 5, null, 10],
      ['acct-b', 6, null, 20],
      ['acct-b', 7, 'm7', 20],
    ]);
    expect(norm(await s.receipts.pendingDeliveries(2))).toEqual([
      ['acct-c', 5, null, 10],
      ['acct-b', 6, null, 20],
    ]);
    await s.receipts.removeDeliveries([{ author: 'acct-b', timestamp: 6 }, { author: 'acct-c', timestamp: 5 }, { author: 'acct-z', timestamp: 1 }]);
    expect(norm(await s.receipts.pendingDeliveries())).toEqual([['acct-b', 7, 'm7', 20]]);
    await s.close();
  });

  it('receipts: writes in a transaction that throws leave the role exactly as it was', async () => {
    const s = open();
    await s.receipts.record(msg, bob1, 'delivery', 10);
    await s.receipts.queueDelivery({ author: 'acct-b', timestamp: 7, messageId: undefined, queuedAt: 20 });
    await expect(
      s.transaction(async (tx) => {
        await tx.receipts.record(msg, bob1, 'read', 15);
        await tx.receipts.record(msg, bob2, 'delivery', 16);
        await tx.receipts.record(other, bob2, 'delivery', 16);
        await tx.receipts.queueDelivery({ author: 'acct-c', timestamp: 8, messageId: undefined, queuedAt: 21 });
        await tx.receipts.removeDeliveries([{ author: 'acct-b', timestamp: 7 }]);
        expect((await tx.receipts.status(msg)).length).toBe(2);
        expect((await tx.receipts.pendingDeliveries()).map((p) => p.author)).toEqual(['acct-c']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await s.receipts.status(msg)).map((r) => [r.account, r.device, r.deliveredAt, r.readAt ?? null])).toEqual([['acct-b', 1, 10, null]]);
    expect(await s.receipts.status(other)).toEqual([]);
    expect((await s.receipts.pendingDeliveries()).map((p) => [p.author, p.timestamp])).toEqual([['acct-b', 7]]);
    await s.close();
  });
}
