/**
 * The `conversations` store role's contract (issue 18): summaries kept with
 * every `history.add` / `markRead` (and rolled back with them), stable
 * newest-first pages, full-text search and references. Run on every
 * backend by store.test.ts and, in Chromium, by
 * test/browser/browser-store-contract.test.ts.
 */
import { expect, it } from 'vitest';
import { encodeContent } from '../../src/content.ts';
import type { ClientStore, MessageDirection } from '../../src/store/types.ts';

const me = { account: 'acct-me', device: 1 };
const LONG = 'a banana is mentioned once in this much longer sentence about fruit and vegetables and other things people like to eat';
const GROUP = 'group:' + 'ab'.repeat(32);
let envelopes = 0;

function adder(s: ClientStore) {
  return (peer: string, direction: MessageDirection, ts: number, text?: string, author = peer, readAt?: number) =>
    s.history.add({
      direction,
      peer,
      sender: direction === 'out' ? me : { account: author, device: 1 },
      timestamp: ts,
      content: encodeContent(text === undefined ? { timestamp: ts, reaction: { emoji: '👍', target: { author: 'acct-x', timestamp: 1 } } } : { timestamp: ts, text }),
      envelopeId: direction === 'in' ? `conv-${envelopes++}` : undefined,
      storedAt: ts * 10,
      readAt,
    });
}

/** Defines the contract's tests for stores made by `open` (inside a describe). */
export function conversationsContract(open: () => ClientStore): void {
  it('keeps conversation summaries (last message, unread count, activity) with every add and read marking', async () => {
    const s = open();
    const add = adder(s);
    expect(await s.conversations.list()).toEqual([]);
    const b1 = await add('acct-b', 'in', 1, 'hello');
    await add('acct-b', 'out', 2, 'hi back');
    const b3 = await add('acct-b', 'in', 3, 'how are you');
    const g4 = await add(GROUP, 'in', 4, 'group hello', 'acct-c');
    const c5 = await add('acct-c', 'in', 5, undefined); // a reaction: a message, no text
    const list = await s.conversations.list();
    expect(list.map((c) => [c.peer, c.lastMessage.id, c.unread, c.lastActivity])).toEqual([
      ['acct-c', c5, 1, 50],
      [GROUP, g4, 1, 40],
      ['acct-b', b3, 2, 30],
    ]);
    expect(list[2]!.lastMessage.content).toEqual(encodeContent({ timestamp: 3, text: 'how are you' }));
    expect(await s.conversations.list(2)).toHaveLength(2);
    // A marking that rolls back leaves the counts; a committed one lowers them.
    await expect(
      s.transaction(async (tx) => {
        await tx.history.markRead('acct-b', b1, 100);
        expect((await tx.conversations.get('acct-b'))?.unread).toBe(1);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await s.conversations.get('acct-b'))?.unread).toBe(2);
    await s.history.markRead('acct-b', b1, 100);
    expect((await s.conversations.get('acct-b'))?.unread).toBe(1);
    await s.history.markRead('acct-b', Number.MAX_SAFE_INTEGER, 101);
    expect((await s.conversations.get('acct-b'))?.unread).toBe(0);
    // An add that rolls back leaves no trace; an already-read row is not unread; a new message moves a conversation to the top.
    await expect(
      s.transaction(async (tx) => {
        await adder(tx as ClientStore)('acct-d', 'in', 6, 'never stored');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await s.conversations.get('acct-d')).toBeUndefined();
    const b7 = await add('acct-b', 'in', 7, 'synced as read', 'acct-b', 70);
    const top = (await s.conversations.list())[0]!;
    expect([top.peer, top.lastMessage.id, top.unread, top.lastActivity]).toEqual(['acct-b', b7, 0, 70]);
    expect(await s.conversations.get('acct-none')).toBeUndefined();
    await s.close();
  });

  it('pages a conversation newest first from a stable cursor while new messages arrive', async () => {
    const s = open();
    const add = adder(s);
    const ids: number[] = [];
    for (let i = 1; i <= 7; i++) ids.push(await add('acct-b', i % 2 === 0 ? 'out' : 'in', i, `m${i}`));
    await add('acct-c', 'in', 8, 'elsewhere');
    const first = await s.conversations.page('acct-b', Number.MAX_SAFE_INTEGER, 3);
    expect(first.map((m) => m.id)).toEqual([ids[6], ids[5], ids[4]]);
    await add('acct-b', 'in', 9, 'newer'); // does not shift the next page
    const second = await s.conversations.page('acct-b', first.at(-1)!.id, 3);
    expect(second.map((m) => m.id)).toEqual([ids[3], ids[2], ids[1]]);
    const last = await s.conversations.page('acct-b', second.at(-1)!.id, 3);
    expect(last.map((m) => m.id)).toEqual([ids[0]]);
    expect(await s.conversations.page('acct-b', ids[0]!, 3)).toEqual([]);
    await s.close();
  });

  it('searches message text: word prefixes, every word, any case and accent, ranked, with a snippet; per conversation; bounded', async () => {
    const s = open();
    const add = adder(s);
    const a = await add('acct-b', 'in', 1, 'Meet me at the Café near the station tomorrow');
    const b = await add('acct-b', 'out', 2, 'banana banana split');
    const c = await add('acct-c', 'in', 3, LONG);
    await add('acct-c', 'in', 4, undefined); // no text: not indexed
    const d = await add(GROUP, 'in', 5, 'CAFE au lait for everyone', 'acct-c');
    expect((await s.conversations.search('cafe', { limit: 10 })).map((h) => h.message.id).sort()).toEqual([a, d].sort());
    expect((await s.conversations.search('café', { limit: 10, peer: GROUP })).map((h) => h.message.id)).toEqual([d]);
    expect((await s.conversations.search('STAT tomor', { limit: 10 })).map((h) => h.message.id)).toEqual([a]);
    expect(await s.conversations.search('station banana', { limit: 10 })).toEqual([]);
    expect(await s.conversations.search('  ,;  ', { limit: 10 })).toEqual([]);
    expect(await s.conversations.search('ananas', { limit: 10 })).toEqual([]); // prefixes, not substrings
    const bananas = await s.conversations.search('banana', { limit: 10 });
    expect(bananas.map((h) => h.message.id)).toEqual([b, c]); // more often, in fewer words: first
    expect(bananas[0]!.rank).toBeLessThan(bananas[1]!.rank);
    expect(bananas[0]!.message.content).toEqual(encodeContent({ timestamp: 2, text: 'banana banana split' }));
    expect(bananas[1]!.snippet.toLowerCase()).toContain('[banana]');
    expect(bananas[1]!.snippet.length).toBeLessThan(LONG.length);
    expect((await s.conversations.search('banana', { limit: 1 })).map((h) => h.message.id)).toEqual([b]);
    expect((await s.conversations.search('banana', { limit: 10, peer: 'acct-c' })).map((h) => h.message.id)).toEqual([c]);
    // An add that rolls back is not found.
    await expect(
      s.transaction(async (tx) => {
        await adder(tx as ClientStore)('acct-b', 'in', 6, 'zeppelin');
        expect(await tx.conversations.search('zeppelin', { limit: 10 })).toHaveLength(1);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await s.conversations.search('zeppelin', { limit: 10 })).toEqual([]);
    await s.conversations.compact();
    expect((await s.conversations.search('banana', { limit: 10 })).map((h) => h.message.id)).toEqual([b, c]);
    await s.close();
  });

  it('finds messages by reference (author and timestamp)', async () => {
    const s = open();
    const add = adder(s);
    const one = await add('acct-b', 'in', 10, 'one');
    const two = await add(GROUP, 'in', 10, 'two', 'acct-b');
    await add('acct-c', 'in', 10, 'three');
    expect((await s.conversations.locate('acct-b', 10)).map((m) => [m.id, m.peer])).toEqual([[one, 'acct-b'], [two, GROUP]]);
    expect(await s.conversations.locate('acct-b', 11)).toEqual([]);
    await s.close();
  });
}
