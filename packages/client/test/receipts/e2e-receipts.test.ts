/**
 * Receipts and typing end to end through a real key server and relay:
 * batched delivery receipts from every recipient device reach every device
 * of the author, read receipts, receipts never stored nor answered, typing
 * rate-limited and never stored, both directions, and a group of three.
 */
import { describe, expect, it } from 'vitest';
import type { SealpostClient } from '../../src/client.ts';
import { NetworkError } from '../../src/errors.ts';
import { SqliteStore } from '../../src/sqlite.ts';
import type { ReceiptEvent } from '../../src/receipts/receipt-inbound.ts';
import type { TypingEvent } from '../../src/receipts/typing.ts';
import type { RelayView } from '../../src/client-types.ts';
import { linkDevice } from '../support/link.ts';
import { useLocalServices } from '../support/local-services.ts';
import { GROUP_TEST_CLIENT, pollAll, registerAll } from '../support/groups.ts';

const local = useLocalServices();

/** One clock for every client of a test: close to real time (certificates), moved only by the test. */
function testClock() {
  let t = Date.now();
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function on<K extends 'receipt' | 'typing' | 'relaySend' | 'message'>(client: SealpostClient, event: K) {
  const out: unknown[] = [];
  client.on(event, (e) => out.push(e));
  return out as (K extends 'receipt' ? ReceiptEvent : K extends 'typing' ? TypingEvent : K extends 'relaySend' ? RelayView[] : unknown)[];
}

/** Clients whose batching window never ends on its own: the tests flush explicitly. */
const options = (clock: ReturnType<typeof testClock>) => ({ ...GROUP_TEST_CLIENT, now: clock.now, receipts: { deliveryDelayMs: 3_600_000 } });

describe('receipts end to end', () => {
  it('Alice (phone + laptop) → Bob (phone + laptop): one batched delivery receipt per Bob device reaches both Alice devices; read receipts; never stored, never answered; both directions', async () => {
    const clock = testClock();
    const client = () => local.client(options(clock));
    const [alicePhone, aliceLaptop, bobPhone, bobLaptop, carol] = [client(), client(), client(), client(), client()];
    await registerAll([alicePhone, bobPhone, carol]);
    await linkDevice(alicePhone, aliceLaptop);
    await linkDevice(bobPhone, bobLaptop);
    const alice = alicePhone.address.account;
    const bob = bobPhone.address.account;
    const aliceDevices = [alicePhone, aliceLaptop];
    const bobDevices = [bobPhone, bobLaptop];

    const sent = [];
    for (const text of ['one', 'two', 'three']) {
      clock.advance(1000);
      sent.push(await alicePhone.send(bob, { text }));
    }
    await pollAll([aliceLaptop]); // sync copies
    for (const b of bobDevices) expect(await b.poll()).toBe(3);
    // Queued in the storing transactions (kept across a crash until sent).
    for (const b of bobDevices) expect((await b.store.receipts.pendingDeliveries()).map((p) => [p.author, p.timestamp])).toEqual(sent.map((s) => [alice, s.ref.timestamp]));

    const bobSends = bobDevices.map((b) => on(b, 'relaySend'));
    clock.advance(500);
    const deliveredAt = clock.now();
    for (const b of bobDevices) expect(await b.receipts.flush()).toBe(1);
    // One receipt per Bob device, sealed for both of Alice's devices (one send to her account).
    for (const s of bobSends) expect(s.map((batch) => batch.map((e) => `${e.recipient.account === alice ? 'alice' : e.recipient.account}.${e.recipient.device}`))).toEqual([['alice.1', 'alice.2']]);
    for (const b of bobDevices) expect(await b.store.receipts.pendingDeliveries()).toEqual([]);

    const receipts = aliceDevices.map((a) => on(a, 'receipt'));
    const aliceMessages = aliceDevices.map((a) => on(a, 'message'));
    for (const a of aliceDevices) expect(await a.poll()).toBe(2);
    const refs = sent.map((s) => ({ author: alice, timestamp: s.ref.timestamp }));
    for (const r of receipts) {
      expect(r).toHaveLength(2);
      expect(r.map((e) => e.from.device).sort()).toEqual([1, 2]);
      for (const e of r) expect(e).toEqual({ type: 'delivery', from: { account: bob, device: e.from.device }, targets: refs, at: deliveredAt });
    }
    for (const a of aliceDevices) {
      for (const s of sent) {
        expect(await a.receipts.status(s.ref)).toEqual({ deliveredTo: [{ account: bob, device: 1, at: deliveredAt }, { account: bob, device: 2, at: deliveredAt }], readBy: [] });
      }
      // Receipts are not messages: the history holds the three sent messages only, and no receipt is owed for a receipt.
      expect((await a.history(bob)).map((m) => m.decoded.text)).toEqual(['one', 'two', 'three']);
      expect(await a.store.receipts.pendingDeliveries()).toEqual([]);
      expect(await a.receipts.flush()).toBe(0);
    }
    expect(aliceMessages.flat()).toEqual([]);
    for (const b of bobDevices) expect(await b.poll()).toBe(0); // nothing came back for the receipts

    // A read receipt from Bob's phone (built with the receipt codec, sent on the 1:1 path: client.receipts.send).
    clock.advance(1000);
    const readAt = clock.now();
    expect(await bobPhone.receipts.send(alice, 'read', [sent[0]!.ref, sent[1]!.ref])).toBe(1);
    for (const a of aliceDevices) expect(await a.poll()).toBe(1);
    for (const r of receipts) expect(r.at(-1)).toEqual({ type: 'read', from: { account: bob, device: 1 }, targets: refs.slice(0, 2), at: readAt });
    for (const a of aliceDevices) {
      expect((await a.receipts.status(sent[0]!.ref)).readBy).toEqual([{ account: bob, device: 1, at: readAt }]);
      expect((await a.receipts.status(sent[1]!.ref)).readBy).toEqual([{ account: bob, device: 1, at: readAt }]);
      expect((await a.receipts.status(sent[2]!.ref)).readBy).toEqual([]);
      expect((await a.receipts.status(sent[0]!.ref)).deliveredTo).toHaveLength(2);
    }

    // A receipt from someone Alice never wrote to, and one naming unknown messages: ignored, not quarantined, not stored.
    await carol.receipts.send(alice, 'read', [sent[2]!.ref, { author: alice, timestamp: 12345 }, { author: carol.address.account, timestamp: sent[2]!.ref.timestamp }]);
    await bobPhone.receipts.send(alice, 'delivery', [{ author: alice, timestamp: 12345 }]);
    const before = receipts.map((r) => r.length);
    for (const a of aliceDevices) expect(await a.poll()).toBe(2);
    expect(receipts.map((r) => r.length)).toEqual(before);
    for (const a of aliceDevices) {
      expect((await a.receipts.status(sent[2]!.ref)).readBy).toEqual([]);
      expect(await a.quarantined()).toEqual([]);
      expect(await a.store.history.count()).toBe(3);
    }
    await expect(alicePhone.receipts.status({ author: bob, timestamp: 1 })).rejects.toMatchObject({ code: 'INVALID_DATA' });

    // The other direction: Bob's laptop writes; both Alice devices owe it a receipt, both Bob devices learn of both.
    await bobPhone.addContact(alicePhone.contactCard());
    clock.advance(1000);
    const answer = await bobLaptop.send(alice, { text: 'got them' });
    await pollAll([bobPhone]); // its sync copy
    for (const a of aliceDevices) expect(await a.poll()).toBe(1);
    clock.advance(10);
    for (const a of aliceDevices) expect(await a.receipts.flush()).toBe(1);
    const bobReceipts = bobDevices.map((b) => on(b, 'receipt'));
    for (const b of bobDevices) expect(await b.poll()).toBe(2);
    for (const r of bobReceipts) expect(r.map((e) => [e.type, e.from.account === alice, e.from.device, e.targets])).toEqual(expect.arrayContaining([['delivery', true, 1, [answer.ref]], ['delivery', true, 2, [answer.ref]]]));
    for (const b of bobDevices) {
      expect((await b.receipts.status(answer.ref)).deliveredTo.map((d) => [d.account === alice, d.device])).toEqual([[true, 1], [true, 2]]);
      expect(await b.store.receipts.pendingDeliveries()).toEqual([]); // Bob's phone got a sync copy of its own message: no receipt for that
    }
  });

  it('a delivery receipt owed when the device stopped is sent by the next start (the queue is in the store)', async () => {
    const clock = testClock();
    const bobPath = local.path('receipts-bob.db');
    const [alice, bob] = [local.client(options(clock)), local.client({ ...options(clock), store: new SqliteStore(bobPath) })];
    await registerAll([alice, bob]);
    const sent = await alice.send(bob.address.account, { text: 'are you there?' });
    expect(await bob.poll()).toBe(1);
    await bob.close(); // before the batching window ended: nothing sent yet (the SQLite file is closed)
    const again = local.client({ ...options(clock), store: new SqliteStore(bobPath), receive: { mode: 'manual' } });
    expect((await again.store.receipts.pendingDeliveries()).map((p) => p.timestamp)).toEqual([sent.ref.timestamp]);
    await again.start();
    expect(await again.store.receipts.pendingDeliveries()).toEqual([]);
    expect(await alice.poll()).toBe(1);
    expect((await alice.receipts.status(sent.ref)).deliveredTo.map((d) => d.account)).toEqual([bob.address.account]);
  });

  it('typing: rate-limited per conversation (injected clock), expires, never stored on either side, dropped (not queued) when the relay is unreachable; both directions', async () => {
    const clock = testClock();
    const [alice, bob] = [local.client(options(clock)), local.client(options(clock))];
    await registerAll([alice, bob]);
    const bobId = bob.address.account;
    const aliceId = alice.address.account;
    const aliceSends = on(alice, 'relaySend');
    const bobTyping = on(bob, 'typing');
    const bobMessages = on(bob, 'message');

    expect(await alice.typing(bobId, 'stopped')).toBe(false); // nothing to stop
    expect(await alice.typing(bobId, 'started')).toBe(true);
    clock.advance(1000);
    expect(await alice.typing(bobId, 'started')).toBe(false); // coalesced
    clock.advance(1999);
    expect(await alice.typing(bobId, 'started')).toBe(false);
    clock.advance(1);
    expect(await alice.typing(bobId, 'started')).toBe(true); // 3 s later: a refresh
    expect(await alice.typing(bobId, 'stopped')).toBe(true);
    expect(await alice.typing(bobId, 'stopped')).toBe(false);
    expect(aliceSends).toHaveLength(3);
    expect(await bob.poll()).toBe(3);
    expect(bobTyping.map((e) => [e.conversation === aliceId, e.action, e.from.device])).toEqual([[true, 'started', 1], [true, 'started', 1], [true, 'stopped', 1]]);
    expect(bobTyping[1]!.expiresAt).toBe(clock.now() + 15_000);
    expect(bob.receipts.typingNow(aliceId)).toEqual([]);

    // Expiry: a STARTED counts for 15 s without a refresh.
    clock.advance(5000);
    expect(await alice.typing(bobId, 'started')).toBe(true);
    expect(await bob.poll()).toBe(1);
    expect(bob.receipts.typingNow(aliceId)).toEqual([{ account: aliceId, device: 1 }]);
    clock.advance(15_000);
    expect(bob.receipts.typingNow(aliceId)).toEqual([]);
    // A STARTED that waited in the queue longer than that is not reported at all.
    clock.advance(3000);
    expect(await alice.typing(bobId, 'started')).toBe(true);
    clock.advance(16_000);
    const seen = bobTyping.length;
    expect(await bob.poll()).toBe(1);
    expect(bobTyping).toHaveLength(seen);

    // Never stored, never answered with a receipt, on either side.
    expect(bobMessages).toEqual([]);
    expect(await bob.store.history.count()).toBe(0);
    expect(await bob.store.receipts.pendingDeliveries()).toEqual([]);
    expect(await alice.store.history.count()).toBe(0);
    expect(await alice.store.outbox.batches()).toEqual([]);
    expect(await alice.poll()).toBe(0);

    // The other direction.
    const aliceTyping = on(alice, 'typing');
    expect(await bob.typing(aliceId, 'started')).toBe(true);
    expect(await alice.poll()).toBe(1);
    expect(aliceTyping.map((e) => [e.conversation === bobId, e.action])).toEqual([[true, 'started']]);

    // Relay unreachable: the indicator is dropped (false), nothing waits in the outbox; an ordinary message would wait there.
    const offline = local.client({ ...options(clock), store: alice.store, relayUrl: 'http://127.0.0.1:9', relayAudience: new URL(local.services.relayUrl).origin });
    await offline.ready();
    clock.advance(3000);
    expect(await offline.typing(bobId, 'started')).toBe(false);
    expect(await alice.store.outbox.batches()).toEqual([]);
    await expect(offline.send(bobId, { text: 'later' })).rejects.toBeInstanceOf(NetworkError);
    expect(await alice.store.outbox.batches()).toHaveLength(1);
    expect(await alice.flushOutbox()).toBe(1);
  });

  it('a group of three: delivery receipts go 1:1 to the author; typing reaches the other members; neither is stored in the group', async () => {
    const clock = testClock();
    const [alice, bob, carol] = [local.client(options(clock)), local.client(options(clock)), local.client(options(clock))];
    const all = [alice, bob, carol];
    await registerAll(all);
    const group = await alice.groups.create({ title: 'receipts', members: [bob.address.account, carol.address.account] });
    await pollAll(all);
    clock.advance(1000);
    const sent = await alice.groups.send(group.id, { text: 'hello group' });
    const ref = { author: alice.address.account, timestamp: clock.now() };
    await pollAll([bob, carol]); // the sender-key distribution (1:1) and the group message
    for (const c of [bob, carol]) expect((await c.store.receipts.pendingDeliveries()).map((p) => [p.author, p.timestamp])).toEqual([[ref.author, ref.timestamp]]);
    clock.advance(100);
    const sends = [bob, carol].map((c) => on(c, 'relaySend'));
    for (const c of [bob, carol]) expect(await c.receipts.flush()).toBe(1);
    for (const s of sends) expect(s.map((batch) => batch.map((e) => e.recipient.account))).toEqual([[alice.address.account]]);
    const receipts = on(alice, 'receipt');
    expect(await alice.poll()).toBe(2);
    expect(receipts.map((e) => e.targets)).toEqual([[ref], [ref]]);
    expect((await alice.receipts.status(ref)).deliveredTo.map((d) => d.account).sort()).toEqual([bob.address.account, carol.address.account].sort());
    expect(sent.id).toBeGreaterThan(0);

    const typing = [alice, carol].map((c) => on(c, 'typing'));
    expect(await bob.typing(`group:${group.id}`, 'started')).toBe(true);
    expect(await alice.poll()).toBe(1);
    expect(await carol.poll()).toBe(1);
    for (const t of typing) expect(t.map((e) => [e.conversation, e.group, e.from.account, e.action])).toEqual([[`group:${group.id}`, group.id, bob.address.account, 'started']]);
    expect(carol.receipts.typingNow(`group:${group.id}`)).toEqual([bob.address]);
    for (const c of all) expect((await c.groups.history(group.id)).map((m) => m.decoded.text)).toEqual(['hello group']);
    await expect(bob.typing('group:' + '00'.repeat(32), 'started')).rejects.toMatchObject({ code: 'GROUP_UNKNOWN' });
  });
});
