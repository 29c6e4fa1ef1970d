/**
 * The `expirations` role and `history.remove` (disappearing messages), part
 * of the store contract every backend meets (`storeContract` calls it, so
 * it also runs in Chromium on the browser store).
 */
import { expect, it } from 'vitest';
import type { ClientStore, NewMessage, SentLogEntry } from '../../src/store/types.ts';

const peer = { account: 'acct-b', device: 2 };
const bytes = (...v: number[]) => Uint8Array.from(v);

/** Defines the contract's expiration tests for stores made by `open` (inside a describe). */
export function expirationContract(open: () => ClientStore): void {
  it('keeps conversation timers and scheduled deletions, soonest first, inside transactions', async () => {
    const s = open();
    expect(await s.expirations.timer('acct-b')).toBeUndefined();
    await s.expirations.setTimer({ peer: 'acct-b', seconds: 60, version: 1, updatedBy: 'acct-b', updatedAt: 10 });
    await s.expirations.setTimer({ peer: 'group:ab', seconds: 5, version: 3, updatedBy: 'me', updatedAt: 11 });
    await s.expirations.setTimer({ peer: 'acct-b', seconds: 30, version: 2, updatedBy: 'me', updatedAt: 12 });
    expect(await s.expirations.timer('acct-b')).toEqual({ peer: 'acct-b', seconds: 30, version: 2, updatedBy: 'me', updatedAt: 12 });
    expect(await s.expirations.timer('group:ab')).toEqual({ peer: 'group:ab', seconds: 5, version: 3, updatedBy: 'me', updatedAt: 11 });
    const add = (ts: number) => s.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: ts, content: bytes(ts), envelopeId: `x${ts}`, storedAt: ts });
    const [m1, m2, m3] = [await add(1), await add(2), await add(3)];
    expect(await s.expirations.next()).toBeUndefined();
    expect(await s.expirations.due(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    await s.expirations.schedule(m1, 5000);
    await s.expirations.schedule(m2, 3000);
    await s.expirations.schedule(m3, 3000);
    // An earlier schedule is kept; a sooner one replaces it.
    await s.expirations.schedule(m2, 9000);
    await s.expirations.schedule(m1, 4000);
    // A message that is not stored is not scheduled.
    await s.expirations.schedule(m3 + 100, 1);
    expect(await s.expirations.expiresAt(m1)).toBe(4000);
    expect(await s.expirations.expiresAt(m2)).toBe(3000);
    expect(await s.expirations.expiresAt(m3 + 100)).toBeUndefined();
    expect(await s.expirations.next()).toBe(3000);
    expect(await s.expirations.due(2999, 10)).toEqual([]);
    expect(await s.expirations.due(3000, 10)).toEqual([m2, m3]);
    expect(await s.expirations.due(4000, 10)).toEqual([m2, m3, m1]);
    expect(await s.expirations.due(4000, 2)).toEqual([m2, m3]);
    // A transaction that throws keeps neither a timer nor a schedule.
    await expect(
      s.transaction(async (tx) => {
        await tx.expirations.setTimer({ peer: 'acct-b', seconds: 1, version: 9, updatedBy: 'x', updatedAt: 13 });
        await tx.expirations.schedule(m1, 1);
        expect(await tx.expirations.next()).toBe(1);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await s.expirations.timer('acct-b'))?.version).toBe(2);
    expect(await s.expirations.expiresAt(m1)).toBe(4000);
    await s.close();
  });

  it('removes messages with their indexes, schedule and sent-log plaintext; all or nothing', async () => {
    const s = open();
    const row = (direction: 'in' | 'out', ts: number, extra: Partial<NewMessage> = {}): NewMessage => ({
      direction, peer: 'acct-b', sender: direction === 'in' ? peer : { account: 'me', device: 1 }, timestamp: ts, content: bytes(ts, 7), envelopeId: direction === 'in' ? `e${ts}` : undefined, storedAt: ts, ...extra,
    });
    const unread = await s.history.add(row('in', 1));
    const undelivered = await s.history.add(row('in', 2));
    const sent = await s.history.add(row('out', 3, { delivered: true }));
    const kept = await s.history.add(row('in', 4));
    const other = await s.history.add({ ...row('in', 5), peer: 'acct-c' });
    await s.history.markDelivered(unread);
    const log = (ts: number, content: Uint8Array): SentLogEntry => ({ recipient: peer, ratchetKey: bytes(9, 9), timestamp: ts, content, sentAt: 100 + ts, resends: 0 });
    await s.sentLog.add(log(3, bytes(3, 7)));
    await s.sentLog.add({ ...log(3, bytes(3, 7)), recipient: { account: 'acct-b', device: 3 } });
    await s.sentLog.add(log(3, bytes(3, 8, 1))); // the sync transcript of the sent message (other bytes, same timestamp)
    await s.sentLog.add(log(1, bytes(1))); // a timestamp of a received row: the sent log is not about it
    await s.sentLog.add(log(6, bytes(6)));
    for (const id of [unread, undelivered, sent, kept]) await s.expirations.schedule(id, 50 + id);
    const inBefore = await s.history.count('in');
    // Rolled back with its transaction.
    await expect(
      s.transaction(async (tx) => {
        expect(await tx.history.remove([unread])).toBe(1);
        expect(await tx.history.get(unread)).toBeUndefined();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await s.history.get(unread))?.id).toBe(unread);
    expect(await s.history.count('in')).toBe(inBefore);

    expect(await s.history.remove([unread, undelivered, sent, unread, 99_999])).toBe(3);
    for (const id of [unread, undelivered, sent]) {
      expect(await s.history.get(id)).toBeUndefined();
      expect(await s.expirations.expiresAt(id)).toBeUndefined();
    }
    expect((await s.history.conversation('acct-b')).map((m) => m.id)).toEqual([kept]);
    expect((await s.history.conversation('acct-c')).map((m) => m.id)).toEqual([other]);
    expect(await s.history.count('in')).toBe(inBefore - 2);
    expect(await s.history.count('out')).toBe(0);
    expect((await s.history.undelivered()).map((m) => m.id)).toEqual([kept, other]);
    // The removed unread rows are not marked read later; the kept one is.
    expect((await s.history.markRead('acct-b', Number.MAX_SAFE_INTEGER, 500)).map((m) => m.id)).toEqual([kept]);
    expect(await s.expirations.due(Number.MAX_SAFE_INTEGER, 10)).toEqual([kept]);
    // The sent message's plaintext copies left the sent log; other entries stayed.
    expect(await s.sentLog.count()).toBe(2);
    expect((await s.sentLog.find(peer, bytes(9, 9))).map((e) => [e.timestamp, [...e.content]])).toEqual([[1, [1]], [6, [6]]]);
    // Removed envelopes stay processed-aware: a new row may reuse nothing, ids keep growing.
    const next = await s.history.add(row('in', 7));
    expect(next).toBeGreaterThan(other);
    expect(await s.history.remove([])).toBe(0);
    await s.close();
  });
}
