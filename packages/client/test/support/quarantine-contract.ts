/**
 * The quarantine and sent-log contract of every store (moved here from
 * quarantine-store.test.ts so the browser store runs it too, in Chromium):
 * bounded (oldest evicted first) and transactional.
 */
import { expect, it } from 'vitest';
import { quarantineEnvelope, type QuarantineLimits } from '../../src/quarantine.ts';
import type { ClientStore } from '../../src/store/types.ts';

export const alice = { account: 'acct-a', device: 2 };
export const entry = (id: string, size: number, at: number) => ({
  envelopeId: id,
  content: new Uint8Array(size).fill(at & 0xff),
  receivedAt: at,
  quarantinedAt: at,
  sender: id.endsWith('unknown') ? undefined : alice,
  reason: 'NO_SESSION',
  detail: 'no session with acct-a.2',
});

/** Defines the contract's tests for stores made by `open` (inside a describe). */
export function quarantineContract(open: () => ClientStore): void {
  it('keeps entries, counts attempts on a re-put, lists oldest first and deletes', async () => {
    const s = open();
    await s.quarantine.put(entry('e1', 10, 1));
    await s.quarantine.put(entry('e2-unknown', 20, 2));
    await s.quarantine.put({ ...entry('e1', 10, 5), reason: 'BAD_MAC', detail: 'again' });
    const list = await s.quarantine.list();
    expect(list.map((e) => [e.envelopeId, e.attempts, e.reason])).toEqual([
      ['e1', 2, 'BAD_MAC'],
      ['e2-unknown', 1, 'NO_SESSION'],
    ]);
    expect(list[0]).toMatchObject({ sender: alice, receivedAt: 1, quarantinedAt: 5, content: new Uint8Array(10).fill(1) });
    expect(list[1]!.sender).toBeUndefined();
    expect(await s.quarantine.totals()).toEqual({ count: 2, bytes: 30 });
    expect(await s.quarantine.remove('e1')).toBe(true);
    expect(await s.quarantine.remove('e1')).toBe(false);
    expect(await s.quarantine.get('e2-unknown')).toMatchObject({ envelopeId: 'e2-unknown' });
    await s.close();
  });

  it('is bounded in count and bytes: the oldest entries are evicted, inside the transaction', async () => {
    const s = open();
    const limits: QuarantineLimits = { maxEntries: 3, maxBytes: 100, maxAutoAttempts: 5 };
    const evicted: string[] = [];
    for (let i = 1; i <= 5; i++) evicted.push(...(await s.transaction((tx) => quarantineEnvelope(tx, entry(`c${i}`, 10, i), limits))));
    expect(evicted).toEqual(['c1', 'c2']);
    expect((await s.quarantine.list()).map((e) => e.envelopeId)).toEqual(['c3', 'c4', 'c5']);
    // 80 bytes more (4 entries, 110 bytes): c3 goes, which brings both bounds back (3 entries, 100 bytes).
    evicted.length = 0;
    evicted.push(...(await s.transaction((tx) => quarantineEnvelope(tx, entry('big', 80, 9), limits))));
    expect(evicted).toEqual(['c3']);
    expect(await s.quarantine.totals()).toEqual({ count: 3, bytes: 100 });
    // A rolled-back transaction leaves the quarantine as it was, evictions included.
    await expect(
      s.transaction(async (tx) => {
        await quarantineEnvelope(tx, entry('late', 50, 10), limits);
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect((await s.quarantine.list()).map((e) => e.envelopeId)).toEqual(['c4', 'c5', 'big']);
    await s.close();
  });

  it('sent log: find and remove by device and ratchet key, prune by age and count', async () => {
    const s = open();
    const key = (b: number) => new Uint8Array(33).fill(b);
    const sent = (recipient: typeof alice, ratchet: number, timestamp: number, sentAt: number) => ({ recipient, ratchetKey: key(ratchet), timestamp, content: Uint8Array.of(timestamp), sentAt, resends: 0 });
    await s.sentLog.add(sent(alice, 1, 10, 100));
    await s.sentLog.add(sent(alice, 1, 11, 101));
    await s.sentLog.add(sent(alice, 2, 12, 102));
    await s.sentLog.add(sent({ account: 'acct-a', device: 3 }, 1, 13, 103));
    expect((await s.sentLog.find(alice, key(1))).map((e) => e.timestamp)).toEqual([10, 11]);
    await s.sentLog.removeTimestamp(alice, key(1), 10);
    expect((await s.sentLog.find(alice, key(1))).map((e) => e.timestamp)).toEqual([11]);
    await s.sentLog.remove(alice, key(1));
    expect(await s.sentLog.find(alice, key(1))).toEqual([]);
    expect(await s.sentLog.count()).toBe(2);
    await s.sentLog.add(sent(alice, 3, 14, 104));
    await s.sentLog.add(sent(alice, 3, 15, 105));
    await s.sentLog.prune(103, 2);
    expect((await s.sentLog.find(alice, key(3))).map((e) => e.timestamp)).toEqual([14, 15]);
    expect(await s.sentLog.count()).toBe(2);
    await s.close();
  });
}
