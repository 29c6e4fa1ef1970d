/**
 * Conversations end to end (real key server and relay): Alice and Bob, each
 * with a second device; unread counts and last messages, stable history
 * pages, search (Bob's laptop on SQLite/FTS5), marking read sends a read
 * receipt to every device of the author and a read sync to the reader's own
 * other devices (which drop to 0 unread without receipting again); the
 * read-receipt switch; both directions; a group of three.
 */
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/sqlite.ts';
import { contentCapture } from '../support/content-capture.ts';
import { GROUP_TEST_CLIENT, pollAll, registerAll } from '../support/groups.ts';
import { linkDevice } from '../support/link.ts';
import { useLocalServices } from '../support/local-services.ts';

const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });

const textOf = (m: { decoded: { text?: string } }) => m.decoded.text;

describe('conversations end to end', () => {
  it('two accounts with two devices each: unread counts, pages, search, read receipts to every author device, read sync to own devices, the switch', async () => {
    const [a1, a2, b1, b2] = [contentCapture(), contentCapture(), contentCapture(), contentCapture()];
    const alicePhone = local.client({ sessions: a1.sessions });
    const aliceLaptop = local.client({ sessions: a2.sessions });
    const bobPhone = local.client({ sessions: b1.sessions });
    const bobLaptop = local.client({ sessions: b2.sessions, store: new SqliteStore(local.path('bob-laptop.db')) });
    const all = [alicePhone, aliceLaptop, bobPhone, bobLaptop];
    await registerAll([alicePhone, bobPhone]);
    await linkDevice(alicePhone, aliceLaptop);
    await linkDevice(bobPhone, bobLaptop);
    const alice = alicePhone.address.account;
    const bob = bobPhone.address.account;

    for (const text of ['lunch at noon?', 'the Café on Main Street', 'bring the banana bread']) await alicePhone.send(bob, { text });
    await pollAll(all);
    for (const device of [bobPhone, bobLaptop]) {
      const [conversation] = await device.conversations.list();
      expect(conversation).toMatchObject({ peer: alice, unread: 3 });
      expect(textOf(conversation!.lastMessage)).toBe('bring the banana bread');
    }
    // Alice's laptop has the sync copies: a conversation with nothing unread.
    expect(await aliceLaptop.conversations.list()).toMatchObject([{ peer: bob, unread: 0, lastMessage: { direction: 'out', decoded: { text: 'bring the banana bread' } } }]);

    await bobLaptop.send(alice, { text: 'sure, see you there' });
    await pollAll(all);
    expect(await alicePhone.conversations.unread(bob)).toBe(1);
    expect(await aliceLaptop.conversations.unread(bob)).toBe(1);

    // Pages of Bob's phone, newest first; a message arriving between pages does not shift them.
    const first = await bobPhone.conversations.history(alice, { limit: 2 });
    expect(first.messages.map(textOf)).toEqual(['sure, see you there', 'bring the banana bread']);
    await alicePhone.send(bob, { text: 'one more thing' });
    await pollAll(all);
    const second = await bobPhone.conversations.history(alice, { limit: 2, before: first.next! });
    expect(second.messages.map(textOf)).toEqual(['the Café on Main Street', 'lunch at noon?']);
    expect(second.next).toBeUndefined();
    await expect(bobPhone.conversations.history(alice, { before: 'not-a-cursor' })).rejects.toMatchObject({ code: 'INVALID_DATA' });

    // Search on the laptop (SQLite FTS5) and the phone (memory): accents, case, prefixes.
    for (const device of [bobLaptop, bobPhone]) {
      const hits = await device.conversations.search('cafe main', { peer: alice });
      expect(hits.map((h) => textOf(h.message))).toEqual(['the Café on Main Street']);
      expect(hits[0]!.snippet).toContain('[Café]');
      expect((await device.conversations.search('BAN')).map((h) => textOf(h.message))).toEqual(['bring the banana bread']);
    }

    // Bob reads on his phone: one read receipt reaches both of Alice's devices, the read sync clears his laptop.
    const laptopRead: number[] = [];
    bobLaptop.on('messagesRead', (e) => laptopRead.push(...e.ids));
    const read = await bobPhone.conversations.markRead(alice);
    expect(read.messages).toHaveLength(4);
    expect(await bobPhone.conversations.unread(alice)).toBe(0);
    await pollAll(all);
    const sentTimestamps = (await alicePhone.conversations.history(bob)).messages.filter((m) => m.direction === 'out').map((m) => m.timestamp).sort();
    for (const capture of [a1, a2]) {
      expect(capture.receipts()).toHaveLength(1);
      expect(capture.receipts()[0]!.type).toBe('read');
      expect(capture.receipts()[0]!.targets.map((t) => [t.author, t.timestamp]).sort()).toEqual(sentTimestamps.map((t) => [alice, t]));
    }
    expect(await bobLaptop.conversations.unread(alice)).toBe(0);
    expect(laptopRead).toHaveLength(4);
    expect(b2.readSyncs()).toHaveLength(1);
    // Receipts and read syncs are not chat messages on either side; the synced laptop sent no receipt of its own.
    expect((await alicePhone.conversations.history(bob)).messages).toHaveLength(5);
    expect((await aliceLaptop.conversations.history(bob)).messages).toHaveLength(5);
    expect((await bobLaptop.conversations.history(alice)).messages).toHaveLength(5);
    expect(a1.receipts()).toHaveLength(1);

    // The other direction: Alice reads on her laptop; Bob's devices get the receipt, her phone the sync.
    await aliceLaptop.conversations.markRead(bob);
    await pollAll(all);
    expect(await alicePhone.conversations.unread(bob)).toBe(0);
    for (const capture of [b1, b2]) expect(capture.receipts().map((r) => r.targets.map((t) => t.author))).toEqual([[bob]]);

    // Read receipts off on Bob's phone (persisted): the read sync still goes to his laptop, no receipt to Alice.
    expect(await bobPhone.conversations.readReceipts()).toBe(true);
    await bobPhone.conversations.setReadReceipts(false);
    expect(await bobPhone.conversations.readReceipts()).toBe(false);
    await alicePhone.send(bob, { text: 'quietly read' });
    await pollAll(all);
    expect(await bobLaptop.conversations.unread(alice)).toBe(1);
    await bobPhone.conversations.markRead(alice);
    await pollAll(all);
    expect(await bobLaptop.conversations.unread(alice)).toBe(0);
    expect(a1.receipts()).toHaveLength(1);
    expect(a2.receipts()).toHaveLength(1);
    expect(b2.readSyncs()).toHaveLength(2);
  });

  it('a group of three: the group conversation counts unread; reading sends each author a receipt for their messages and syncs the reader\'s laptop; a member with receipts off sends none', async () => {
    const captures = [contentCapture(), contentCapture(), contentCapture()];
    const alice = local.client({ sessions: captures[0]!.sessions });
    const bob = local.client({ sessions: captures[1]!.sessions });
    const carol = local.client({ sessions: captures[2]!.sessions, readReceipts: false });
    const bobLaptop = local.client();
    await registerAll([alice, bob, carol]);
    await linkDevice(bob, bobLaptop);
    const all = [alice, bob, carol, bobLaptop];
    const group = await alice.groups.create({ title: 'Lunch', members: [bob.address.account, carol.address.account] });
    await pollAll(all);
    const aliceSent = await alice.groups.send(group.id, { text: 'noodles?' });
    await pollAll(all);
    const carolSent = await carol.groups.send(group.id, { text: 'ramen place' });
    await pollAll(all);
    const [conversation] = await bob.conversations.list();
    expect(conversation).toMatchObject({ peer: `group:${group.id}`, group: group.id, unread: 2, lastMessage: { decoded: { text: 'ramen place' } } });
    expect((await bob.conversations.search('noodle')).map((h) => h.message.peer)).toEqual([`group:${group.id}`]);

    expect(await bobLaptop.conversations.unread(`group:${group.id}`)).toBe(2);
    await bob.conversations.markRead(`group:${group.id}`);
    await pollAll(all);
    expect(await bob.conversations.unread(`group:${group.id}`)).toBe(0);
    expect(await bobLaptop.conversations.unread(`group:${group.id}`)).toBe(0); // the read sync names group messages too
    expect(captures[0]!.receipts()).toEqual([{ type: 'read', targets: [{ author: alice.address.account, timestamp: (await alice.store.history.get(aliceSent.id))!.timestamp }] }]);
    expect(captures[2]!.receipts()).toEqual([{ type: 'read', targets: [{ author: carol.address.account, timestamp: (await carol.store.history.get(carolSent.id))!.timestamp }] }]);

    // Carol (readReceipts: false) reads Alice's message: no receipt.
    expect(await carol.conversations.readReceipts()).toBe(false);
    expect((await carol.conversations.markRead(`group:${group.id}`)).messages).toHaveLength(1);
    await pollAll(all);
    expect(captures[0]!.receipts()).toHaveLength(1);
    expect(captures[1]!.receipts()).toHaveLength(0);
  });
});
