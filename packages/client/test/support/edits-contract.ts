/**
 * The contract of the `edits` role and of `history.replaceContent` /
 * `history.findByRef` (issue 18, part "edit"), run on every store: memory,
 * SQLite, the key/value layer (test/edits-store.test.ts) and IndexedDB in
 * Chromium (test/browser/browser-store-contract.test.ts).
 */
import { expect, it } from 'vitest';
import type { ClientStore, NewMessage } from '../../src/store/types.ts';

const alice = { account: 'acct-a', device: 1 };
const bob = { account: 'acct-b', device: 2 };
const bytes = (...v: number[]) => Uint8Array.from(v);
const message = (over: Partial<NewMessage> = {}): NewMessage => ({
  direction: 'in', peer: 'acct-b', sender: bob, timestamp: 1000, content: bytes(1, 2, 3), envelopeId: undefined, storedAt: 5, ...over,
});

/** Defines the contract's tests for stores made by `open` (inside a describe). */
export function editsContract(open: () => ClientStore): void {
  it('edits: finds messages by reference, replaces content and keeps earlier versions in order', async () => {
    const s = open();
    const first = await s.history.add(message({ envelopeId: 'e1' }));
    const other = await s.history.add(message({ peer: 'acct-c', envelopeId: 'e2' }));
    const mine = await s.history.add(message({ direction: 'out', sender: alice, timestamp: 1000, content: bytes(7), delivered: true }));
    const later = await s.history.add(message({ envelopeId: 'e3', timestamp: 2000 }));
    expect((await s.history.findByRef('acct-b', 'acct-b', 1000))?.id).toBe(first);
    expect((await s.history.findByRef('acct-c', 'acct-b', 1000))?.id).toBe(other);
    expect((await s.history.findByRef('acct-b', 'acct-a', 1000))?.id).toBe(mine);
    expect((await s.history.findByRef('acct-b', 'acct-b', 2000))?.id).toBe(later);
    expect(await s.history.findByRef('acct-b', 'acct-b', 1500)).toBeUndefined();
    expect(await s.history.findByRef('acct-x', 'acct-b', 1000)).toBeUndefined();

    await s.transaction(async (tx) => {
      await tx.edits.add({ messageId: first, content: bytes(1, 2, 3), editTimestamp: 3000, replacedAt: 10 });
      await tx.history.replaceContent(first, bytes(4, 5));
    });
    await s.edits.add({ messageId: first, content: bytes(4, 5), editTimestamp: 4000, replacedAt: 11 });
    await s.history.replaceContent(first, bytes(6));
    await s.edits.add({ messageId: later, content: bytes(9), editTimestamp: 5000, replacedAt: 12 });
    const row = await s.history.get(first);
    expect(row).toMatchObject({ id: first, content: bytes(6), timestamp: 1000, envelopeId: 'e1', sender: bob });
    expect((await s.history.findByRef('acct-b', 'acct-b', 1000))?.content).toEqual(bytes(6));
    expect(await s.edits.list(first)).toEqual([
      { messageId: first, content: bytes(1, 2, 3), editTimestamp: 3000, replacedAt: 10 },
      { messageId: first, content: bytes(4, 5), editTimestamp: 4000, replacedAt: 11 },
    ]);
    expect(await s.edits.list(other)).toEqual([]);
    expect(await s.history.count()).toBe(4);

    expect(await s.edits.removeAll(first)).toBe(2);
    expect(await s.edits.list(first)).toEqual([]);
    expect(await s.edits.removeAll(first)).toBe(0);
    expect(await s.edits.list(later)).toHaveLength(1);
    await s.close();
  });

  it('edits: a rejected transaction leaves content and versions as they were', async () => {
    const s = open();
    const id = await s.history.add(message({ envelopeId: 'e1' }));
    await s.edits.add({ messageId: id, content: bytes(0), editTimestamp: 1, replacedAt: 1 });
    await expect(
      s.transaction(async (tx) => {
        await tx.edits.add({ messageId: id, content: bytes(1, 2, 3), editTimestamp: 2, replacedAt: 2 });
        await tx.history.replaceContent(id, bytes(8));
        await tx.edits.removeAll(id);
        expect((await tx.history.get(id))?.content).toEqual(bytes(8));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect((await s.history.get(id))?.content).toEqual(bytes(1, 2, 3));
    expect(await s.edits.list(id)).toEqual([{ messageId: id, content: bytes(0), editTimestamp: 1, replacedAt: 1 }]);
    await s.close();
  });
}
