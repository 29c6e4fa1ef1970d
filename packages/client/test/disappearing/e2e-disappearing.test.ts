/**
 * Disappearing messages end to end through real services: a timer set by
 * either side reaches all four devices (two per account) as a visible event,
 * every message carries it, read messages expire on the reader's (injected)
 * clock and leave its store, sent messages and sync copies expire from when
 * they were sent / arrived, and concurrent changes converge.
 */
import { describe, expect, it } from 'vitest';
import type { SealpostClient } from '../../src/client.ts';
import type { DisappearingTimerEvent } from '../../src/disappearing/disappearing.ts';
import type { ExpiredMessages } from '../../src/disappearing/sweeper.ts';
import { linkDevice } from '../support/link.ts';
import { useLocalServices } from '../support/local-services.ts';
import { pollAll } from '../support/groups.ts';

const local = useLocalServices({ clientDefaults: { upkeep: { automatic: false, batchSize: 8, minimumCount: 2 } } });

/** An injectable clock, ms. */
class Clock {
  t = Date.now();
  readonly now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

interface Device {
  client: SealpostClient;
  clock: Clock;
  timers: DisappearingTimerEvent[];
  expired: ExpiredMessages[];
}

function device(): Device {
  const clock = new Clock();
  const client = local.client({ now: clock.now });
  const d: Device = { client, clock, timers: [], expired: [] };
  client.on('disappearingTimer', (e) => d.timers.push(e));
  client.on('messagesExpired', (e) => d.expired.push(e));
  return d;
}

/** Alice and Bob with two devices each, knowing each other, sessions with every device. */
async function fourDevices(): Promise<{ a1: Device; a2: Device; b1: Device; b2: Device; alice: string; bob: string; all: SealpostClient[] }> {
  const [a1, a2, b1, b2] = [device(), device(), device(), device()];
  await a1.client.register();
  await b1.client.register();
  await linkDevice(a1.client, a2.client);
  await linkDevice(b1.client, b2.client);
  const [alice, bob] = [a1.client.address.account, b1.client.address.account];
  await a1.client.addContact(b1.client.contactCard());
  await b1.client.addContact(a1.client.contactCard());
  await a2.client.addContact(b1.client.contactCard());
  await b2.client.addContact(a1.client.contactCard());
  const all = [a1, a2, b1, b2].map((d) => d.client);
  return { a1, a2, b1, b2, alice, bob, all };
}

const texts = async (c: SealpostClient, peer: string) => (await c.history(peer)).map((m) => m.decoded.text ?? `[timer ${m.decoded.expireTimer?.seconds}]`);

describe('disappearing messages end to end', () => {
  it('a timer set by Bob reaches all four devices; messages carry it; each side expires what it read (and what it sent) on its own clock', async () => {
    const { a1, a2, b1, b2, alice, bob, all } = await fourDevices();
    await a1.client.send(bob, { text: 'hello' });
    await pollAll(all);

    const set = await b1.client.setDisappearingTimer(alice, 60);
    expect(set).toMatchObject({ peer: alice, seconds: 60, version: 1, updatedBy: bob });
    await pollAll(all);
    for (const [d, peer] of [[a1, bob], [a2, bob], [b1, alice], [b2, alice]] as const) {
      expect(d.timers).toEqual([{ peer, seconds: 60, by: bob, at: d.clock.t }]);
      expect(await d.client.disappearing.timer(peer)).toMatchObject({ seconds: 60, version: 1, updatedBy: bob });
      // The change is a visible item in the history, after 'hello'.
      const items = await d.client.history(peer);
      expect(items.map((m) => m.decoded.expireTimer)).toEqual([undefined, { seconds: 60, version: 1, update: true }]);
    }

    // Both directions, each from the second device: the messages carry the timer.
    const received: Record<string, unknown[]> = { a1: [], a2: [], b1: [], b2: [] };
    for (const [name, d] of Object.entries({ a1, a2, b1, b2 })) d.client.on('message', (m) => received[name]!.push([m.content.text, m.content.expireTimer]));
    const fromAlice = await a2.client.send(bob, { text: 'secret from alice' });
    expect(fromAlice.content.expireTimer).toEqual({ seconds: 60, version: 1 });
    const fromBob = await b2.client.send(alice, { text: 'secret from bob' });
    await pollAll(all);
    expect(received.b1).toEqual([['secret from alice', { seconds: 60, version: 1 }], ['secret from bob', { seconds: 60, version: 1 }]]);
    expect(received.a1).toEqual([['secret from alice', { seconds: 60, version: 1 }], ['secret from bob', { seconds: 60, version: 1 }]]);
    expect(received.a2).toEqual([['secret from bob', { seconds: 60, version: 1 }]]);

    // Sent messages count down from sending; sync copies from arrival; received ones wait for reading.
    expect(await a2.client.disappearing.expiresAt(fromAlice.id)).toBe(a2.clock.t + 60_000);
    expect(await b2.client.disappearing.expiresAt(fromBob.id)).toBe(b2.clock.t + 60_000);
    const a1Rows = await a1.client.history(bob);
    const a1Received = a1Rows.find((m) => m.decoded.text === 'secret from bob')!;
    const a1Synced = a1Rows.find((m) => m.decoded.text === 'secret from alice')!;
    expect(await a1.client.disappearing.expiresAt(a1Synced.id)).toBe(a1.clock.t + 60_000);
    expect(await a1.client.disappearing.expiresAt(a1Received.id)).toBeUndefined();

    // Alice reads on device 1: the countdown starts at her read time.
    a1.clock.advance(5_000);
    const readAt = a1.clock.t;
    await a1.client.markRead(bob);
    expect(await a1.client.disappearing.expiresAt(a1Received.id)).toBe(readAt + 60_000);
    a1.clock.advance(59_999);
    expect((await a1.client.disappearing.sweep()).ids).toEqual([a1Synced.id]);
    expect(await texts(a1.client, bob)).toEqual(['hello', '[timer 60]', 'secret from bob']);
    a1.clock.advance(1);
    expect((await a1.client.disappearing.sweep()).ids).toEqual([a1Received.id]);
    expect(await texts(a1.client, bob)).toEqual(['hello', '[timer 60]']);
    expect(await a1.client.store.history.get(a1Received.id)).toBeUndefined();
    expect(a1.expired.flatMap((e) => e.ids)).toEqual([a1Synced.id, a1Received.id]);
    expect(a1.expired[0]!.peers).toEqual([bob]);
    // Alice's other device has not read it: it is still there (its own sent copy expires on its clock).
    a2.clock.advance(60_000);
    expect((await a2.client.disappearing.sweep()).ids).toEqual([fromAlice.id]);
    expect(await texts(a2.client, bob)).toEqual(['hello', '[timer 60]', 'secret from bob']);

    // The other direction: Bob reads Alice's message on device 1; it expires on his clock.
    await b1.client.markRead(alice);
    b1.clock.advance(60_000);
    await b1.client.disappearing.sweep();
    expect(await texts(b1.client, alice)).toEqual(['hello', '[timer 60]']);
    b2.clock.advance(60_000);
    await b2.client.disappearing.sweep();
    // Bob's device 2: its sent message and the sync copy... only its own sent message was scheduled; Alice's message is unread there.
    expect(await texts(b2.client, alice)).toEqual(['hello', '[timer 60]', 'secret from alice']);

    // Alice turns it off from her second device: all four devices follow (version 2); new messages do not expire.
    await a2.client.setDisappearingTimer(bob, 0);
    await pollAll(all);
    for (const [d, peer] of [[a1, bob], [a2, bob], [b1, alice], [b2, alice]] as const) {
      expect(d.timers.at(-1)).toMatchObject({ peer, seconds: 0, by: alice });
      expect(await d.client.disappearing.timer(peer)).toMatchObject({ seconds: 0, version: 2 });
    }
    const after = await b1.client.send(alice, { text: 'stays' });
    expect(after.content.expireTimer).toEqual({ seconds: 0, version: 2 });
    expect(await b1.client.disappearing.expiresAt(after.id)).toBeUndefined();
  });

  it('concurrent changes from both sides converge on every device (same version: the shorter timer wins)', async () => {
    const { a1, a2, b1, b2, alice, bob, all } = await fourDevices();
    await a1.client.send(bob, { text: 'hello' });
    await pollAll(all);
    // Neither has seen the other's change: both are version 1.
    await Promise.all([a1.client.setDisappearingTimer(bob, 300), b2.client.setDisappearingTimer(alice, 30)]);
    await pollAll(all);
    for (const [d, peer] of [[a1, bob], [a2, bob], [b1, alice], [b2, alice]] as const) {
      expect(await d.client.disappearing.timer(peer)).toMatchObject({ seconds: 30, version: 1, updatedBy: bob });
    }
    // Both updates are in every history (what each user did), in arrival order.
    expect((await a2.client.history(bob)).filter((m) => m.decoded.expireTimer?.update).map((m) => m.decoded.expireTimer?.seconds).sort()).toEqual([30, 300]);
    // A later change from either side (version 2) wins everywhere.
    await a2.client.setDisappearingTimer(bob, 3600);
    await pollAll(all);
    for (const [d, peer] of [[a1, bob], [a2, bob], [b1, alice], [b2, alice]] as const) {
      expect(await d.client.disappearing.timer(peer)).toMatchObject({ seconds: 3600, version: 2, updatedBy: alice });
    }
    // A message carrying a newer version is adopted too, without a change item (e.g. the change itself was lost).
    const sent = await b1.client.send(alice, { text: 'from a newer state', expireTimer: { seconds: 10, version: 3 } });
    expect(sent.content.expireTimer).toEqual({ seconds: 10, version: 3 });
    await pollAll(all);
    expect(await a1.client.disappearing.timer(bob)).toMatchObject({ seconds: 10, version: 3 });
    expect(a1.timers.at(-1)).toMatchObject({ seconds: 10, by: bob });
    // An older client's change (no version) is taken as the next version everywhere; its ordinary messages then do not override.
    await b1.client.send(alice, { expireTimer: { seconds: 20, version: 0, update: true } });
    await pollAll(all);
    for (const [d, peer] of [[a1, bob], [a2, bob], [b1, alice], [b2, alice]] as const) {
      expect(await d.client.disappearing.timer(peer)).toMatchObject({ seconds: 20, version: 4 });
    }
    await b1.client.send(alice, { text: 'old client message', expireTimer: { seconds: 5, version: 0 } });
    await pollAll(all);
    expect(await a1.client.disappearing.timer(bob)).toMatchObject({ seconds: 20, version: 4 });
  });

  it('rejects a timer that is not a whole number of seconds in range, storing nothing', async () => {
    const { a1, bob } = await fourDevices();
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) await expect(a1.client.setDisappearingTimer(bob, bad)).rejects.toMatchObject({ code: 'INVALID_DATA' });
    expect(await a1.client.disappearing.timer(bob)).toBeUndefined();
    expect(await a1.client.history(bob)).toEqual([]);
  });
});
