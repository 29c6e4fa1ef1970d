import { describe, expect, it } from 'vitest';
import { decodeContent } from '../../src/content.ts';
import { DeliveryReceipts } from '../../src/receipts/delivery-receipts.ts';
import { MAX_RECEIPT_TARGETS } from '../../src/receipts/receipt-codec.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import type { ClientProblem } from '../../src/client-types.ts';
import { ClientError } from '../../src/errors.ts';

function setup(opts: { delayMs?: number; failFor?: string } = {}) {
  const store = new MemoryStore();
  const sent: { to: string; type: string; targets: number[] }[] = [];
  const errors: ClientProblem[] = [];
  const receipts = new DeliveryReceipts({
    store,
    now: () => 5000,
    enabled: true,
    delayMs: opts.delayMs ?? 3_600_000,
    emit: (_event, value) => errors.push(value as ClientProblem),
    sendContent: async (to, plaintext) => {
      if (to === opts.failFor) throw new Error('relay down');
      if (to === 'nobody') throw new ClientError('UNKNOWN_RECIPIENT', 'no devices');
      const receipt = decodeContent(plaintext).receipt!;
      sent.push({ to, type: receipt.type, targets: receipt.targets.map((t) => t.timestamp) });
    },
  });
  const queue = (author: string, timestamps: number[]) =>
    store.transaction(async (tx) => {
      for (const t of timestamps) await receipts.queue(tx, author, t, undefined, t);
    });
  return { store, sent, errors, receipts, queue };
}

describe('delivery receipts: batching', () => {
  it('one receipt per author, split at 500 targets, oldest first; the queue empties only for what was sent', async () => {
    const { store, sent, errors, receipts, queue } = setup({ failFor: 'carol' });
    await queue('bob', Array.from({ length: 1200 }, (_, i) => i + 1));
    await queue('carol', [2000, 2001]);
    await queue('dave', [3000]);
    expect(await receipts.flush()).toBe(4);
    expect(sent.map((s) => [s.to, s.type, s.targets.length, s.targets[0]])).toEqual([
      ['bob', 'delivery', MAX_RECEIPT_TARGETS, 1],
      ['bob', 'delivery', MAX_RECEIPT_TARGETS, 501],
      ['bob', 'delivery', 200, 1001],
      ['dave', 'delivery', 1, 3000],
    ]);
    expect(errors).toHaveLength(1);
    expect((await store.receipts.pendingDeliveries()).map((p) => [p.author, p.timestamp])).toEqual([['carol', 2000], ['carol', 2001]]);
    expect(await receipts.flush()).toBe(0); // carol still failing, kept
    expect(await store.receipts.pendingDeliveries()).toHaveLength(2);
    // An author that can never be written to: its receipts are dropped after the failure is reported.
    await queue('nobody', [4000, 4001]);
    expect(await receipts.flush()).toBe(0);
    expect(errors).toHaveLength(4);
    expect((await store.receipts.pendingDeliveries()).map((p) => p.author)).toEqual(['carol', 'carol']);
  });

  it('the window: schedule() sends everything queued by then in one flush; close() stops the timer', async () => {
    const { sent, receipts, queue } = setup({ delayMs: 20 });
    await queue('bob', [1]);
    receipts.schedule();
    await queue('bob', [2, 3]);
    receipts.schedule(); // already scheduled: the same window
    await new Promise((r) => setTimeout(r, 120));
    expect(sent.map((s) => s.targets)).toEqual([[1, 2, 3]]);
    await queue('bob', [4]);
    receipts.schedule();
    await receipts.close();
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toHaveLength(1);
  });
});
