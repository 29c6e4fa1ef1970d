import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory.ts';
import { ReadState, type MessagesRead } from '../src/read-state.ts';

const bob = { account: 'acct-b', device: 1 };
const bytes = (...v: number[]) => Uint8Array.from(v);

async function storeWithMessages() {
  const store = new MemoryStore();
  const ids: number[] = [];
  for (let i = 1; i <= 3; i++) ids.push(await store.history.add({ direction: 'in', peer: 'acct-b', sender: bob, timestamp: i, content: bytes(i), envelopeId: `e${i}`, storedAt: i }));
  return { store, ids };
}

describe('read state', () => {
  it('runs listeners inside the marking transaction and their after-commit work after it', async () => {
    const { store, ids } = await storeWithMessages();
    const errors: unknown[] = [];
    const state = new ReadState({ store, now: () => 500, onError: (e) => errors.push(e) });
    const log: string[] = [];
    state.listen(async (tx, read) => {
      log.push(`in-tx ${read.messages.map((m) => m.id).join(',')}`);
      await tx.settings.set('seen', String(read.messages.length));
      return async () => {
        log.push(`after, readAt ${(await store.history.get(ids[0]!))?.readAt}`);
        throw new Error('network down');
      };
    });
    const read = await state.markRead('acct-b', ids[1]);
    expect(read.messages.map((m) => m.id)).toEqual(ids.slice(0, 2));
    expect(read.now).toBe(500);
    expect(log).toEqual([`in-tx ${ids[0]},${ids[1]}`, 'after, readAt 500']);
    expect(await store.settings.get('seen')).toBe('2');
    // An after-commit failure is reported, not thrown, and the marking stays.
    expect(errors).toHaveLength(1);
    // Nothing newly read: listeners are not called.
    expect((await state.markRead('acct-b', ids[1])).messages).toEqual([]);
    expect(log).toHaveLength(2);
  });

  it('rolls the marking back when a listener throws inside the transaction', async () => {
    const { store, ids } = await storeWithMessages();
    const state = new ReadState({ store, now: () => 9, onError: () => {} });
    const seen: MessagesRead[] = [];
    state.listen(async (tx, read) => {
      seen.push(read);
      await tx.settings.set('half', 'written');
    });
    const remove = state.listen(async () => {
      throw new Error('listener bug');
    });
    await expect(state.markRead('acct-b')).rejects.toThrow('listener bug');
    expect(seen).toHaveLength(1);
    for (const id of ids) expect((await store.history.get(id))?.readAt).toBeUndefined();
    expect(await store.settings.get('half')).toBeUndefined();
    remove();
    expect((await state.markRead('acct-b')).messages.map((m) => m.id)).toEqual(ids);
    expect(await store.settings.get('half')).toBe('written');
  });
});
