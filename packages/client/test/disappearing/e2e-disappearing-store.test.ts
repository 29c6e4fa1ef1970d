/**
 * Disappearing messages across a restart on a SQLite store (injected clock:
 * the client is closed, reopened with the clock past the expiry, and the
 * sweeper deletes on start — nothing of the text left in the file or WAL),
 * and in a group of three where a non-admin member sets the timer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SealpostClient } from '../../src/client.ts';
import type { DisappearingTimerEvent } from '../../src/disappearing/disappearing.ts';
import type { ExpiredMessages } from '../../src/disappearing/sweeper.ts';
import { SqliteStore } from '../../src/sqlite.ts';
import { linkDevice } from '../support/link.ts';
import { useLocalServices } from '../support/local-services.ts';
import { GROUP_TEST_CLIENT, pollAll, registerAll } from '../support/groups.ts';

const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });

class Clock {
  t = Date.now();
  readonly now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The raw bytes on disk of a SQLite database and its companions. */
function rawFiles(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`, `${path}-journal`].filter(existsSync).map((f) => readFileSync(f)));
}

describe('disappearing messages on disk and in groups', () => {
  it('a read message and a sent one expire across a restart: the sweeper deletes on start; the timer survives; the text is gone from the file and WAL', async () => {
    const path = local.path('alice-disappearing.db');
    const aliceClock = new Clock();
    const bobClock = new Clock();
    const a1 = local.client({ store: new SqliteStore(path), now: aliceClock.now });
    const a2 = local.client({ now: aliceClock.now });
    const b1 = local.client({ now: bobClock.now });
    const b2 = local.client({ now: bobClock.now });
    await a1.register();
    await b1.register();
    await linkDevice(a1, a2);
    await linkDevice(b1, b2);
    const [alice, bob] = [a1.address.account, b1.address.account];
    await a1.addContact(b1.contactCard());
    await b1.addContact(a1.contactCard());
    const all = [a1, a2, b1, b2];
    await a1.send(bob, { text: 'before the timer' });
    await pollAll(all);
    await b2.setDisappearingTimer(alice, 30);
    await pollAll(all);
    const BOB_SECRET = 'bob-secret-5c0ffee-d1sappear';
    const ALICE_SECRET = 'alice-secret-7e57ab1e-d1sappear';
    await b1.send(alice, { text: BOB_SECRET });
    await pollAll(all);
    // A message is named by author + timestamp (MessageRef): each send gets its own millisecond.
    aliceClock.advance(1);
    const sent = await a1.send(bob, { text: ALICE_SECRET });
    await pollAll(all);
    expect(await a1.disappearing.expiresAt(sent.id)).toBe(aliceClock.t + 30_000);
    const read = await a1.markRead(bob);
    expect(read.messages.map((m) => m.content.length > 0)).toEqual([true, true]);
    const received = (await a1.history(bob)).find((m) => m.decoded.text === BOB_SECRET)!;
    expect(await a1.disappearing.expiresAt(received.id)).toBe(aliceClock.t + 30_000);
    await a1.close();
    // Before expiry the texts are on disk (so the search below can find them).
    expect(rawFiles(path).includes(BOB_SECRET)).toBe(true);
    expect(rawFiles(path).includes(ALICE_SECRET)).toBe(true);

    // Reopen 31 s later on the same file: start() sweeps before anything else.
    aliceClock.advance(31_000);
    const reopened = local.client({ store: new SqliteStore(path), now: aliceClock.now });
    const expired: ExpiredMessages[] = [];
    reopened.on('messagesExpired', (e) => expired.push(e));
    await reopened.ready();
    expect(await reopened.disappearing.timer(bob)).toMatchObject({ seconds: 30, version: 1, updatedBy: bob });
    expect((await reopened.history(bob)).map((m) => m.decoded.text)).toEqual(['before the timer', undefined, BOB_SECRET, ALICE_SECRET]);
    await reopened.start();
    expect(expired).toEqual([{ ids: [sent.id, received.id].sort((x, y) => x - y), peers: [bob], attachments: [] }]);
    expect((await reopened.history(bob)).map((m) => m.decoded.text ?? `[timer ${m.decoded.expireTimer?.seconds}]`)).toEqual(['before the timer', '[timer 30]']);
    // Nothing readable left: not in the database file, not in its WAL, not in the sent log (which kept Alice's
    // plaintext for resends; the entries of her earlier message stay).
    expect((await reopened.store.sentLog.count())).toBeGreaterThan(0);
    for (const text of [BOB_SECRET, ALICE_SECRET]) expect(rawFiles(path).includes(text)).toBe(false);
    await reopened.close();
    for (const text of [BOB_SECRET, ALICE_SECRET]) expect(rawFiles(path).includes(text)).toBe(false);
    // Still working after the restart: the next message carries the timer that survived.
    const again = local.client({ store: new SqliteStore(path), now: aliceClock.now });
    await again.ready();
    expect((await again.send(bob, { text: 'after restart' })).content.expireTimer).toEqual({ seconds: 30, version: 1 });
  });

  it('a group of three: a member who is not an admin sets the timer, every member (and second device) sees it, messages carry it and expire per device', async () => {
    const clocks = [new Clock(), new Clock(), new Clock(), new Clock()];
    const [alice, bob, carol, bob2] = clocks.map((c) => local.client({ now: c.now })) as [SealpostClient, SealpostClient, SealpostClient, SealpostClient];
    const events = new Map<SealpostClient, DisappearingTimerEvent[]>();
    for (const c of [alice, bob, carol, bob2]) {
      const list: DisappearingTimerEvent[] = [];
      c.on('disappearingTimer', (e) => list.push(e));
      events.set(c, list);
    }
    await registerAll([alice, bob, carol]);
    await linkDevice(bob, bob2);
    const all = [alice, bob, carol, bob2];
    const group = await alice.groups.create({ title: 'vanishing', members: [bob.address.account, carol.address.account] });
    await pollAll(all);
    expect((await carol.groups.get(group.id))?.members.find((m) => m.account === carol.address.account)?.role).not.toBe('admin');
    const peer = `group:${group.id}`;

    await carol.groups.setDisappearingTimer(group.id, 45);
    await pollAll(all);
    for (const c of all) {
      expect(events.get(c)).toEqual([{ peer, seconds: 45, by: carol.address.account, at: expect.any(Number) }]);
      expect(await c.disappearing.timer(peer)).toMatchObject({ seconds: 45, version: 1 });
      expect((await c.groups.history(group.id)).map((m) => m.decoded.expireTimer)).toEqual([{ seconds: 45, version: 1, update: true }]);
    }

    const sent = await alice.groups.send(group.id, { text: 'gone in 45' });
    await pollAll(all);
    for (const c of [bob, carol, bob2]) {
      const rows = await c.groups.history(group.id);
      expect(rows.at(-1)?.decoded).toMatchObject({ text: 'gone in 45', expireTimer: { seconds: 45, version: 1 } });
    }
    // Alice's own copy counts down from sending.
    clocks[0]!.advance(45_000);
    expect((await alice.disappearing.sweep()).ids).toEqual([sent.id]);
    // Bob reads on his first device: it expires there 45 s later; his second device and Carol (unread) keep it.
    clocks[1]!.advance(1_000);
    await bob.markRead(peer);
    clocks[1]!.advance(44_999);
    expect((await bob.disappearing.sweep()).ids).toEqual([]);
    clocks[1]!.advance(1);
    expect((await bob.disappearing.sweep()).ids).toHaveLength(1);
    expect((await bob.groups.history(group.id)).map((m) => m.decoded.text)).toEqual([undefined]);
    for (const [c, clock] of [[carol, clocks[2]!], [bob2, clocks[3]!]] as const) {
      clock.advance(3_600_000);
      expect((await c.disappearing.sweep()).ids).toEqual([]);
      expect((await c.groups.history(group.id)).map((m) => m.decoded.text)).toEqual([undefined, 'gone in 45']);
    }
  });
});
