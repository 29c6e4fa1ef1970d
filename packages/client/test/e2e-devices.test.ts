import { describe, expect, it } from 'vitest';
import type { ReceivedMessage, SealpostClient } from '../src/client.ts';
import { linkDevice } from './support/link.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();
const newClient = local.client;

function collect(client: SealpostClient): ReceivedMessage[] {
  const out: ReceivedMessage[] = [];
  client.on('message', (m) => out.push(m));
  return out;
}

describe('multi-device', () => {
  it('links a second device; both receive, both send, own devices get sync copies; a removed device stops receiving', async () => {
    const alice = newClient();
    const bob1 = newClient();
    const bob2 = newClient();
    await alice.register();
    await bob1.register();
    await linkDevice(bob1, bob2);
    expect(bob2.address).toEqual({ account: bob1.address.account, device: 2 });
    const bob = bob1.address.account;
    const [aliceIn, bob1In, bob2In] = [collect(alice), collect(bob1), collect(bob2)];

    await alice.addContact(bob1.contactCard());
    const first = await alice.send(bob, { text: 'to both of you' });
    expect(first.devices).toEqual([1, 2]);
    await bob1.poll();
    await bob2.poll();
    expect(bob1In.map((m) => m.content.text)).toEqual(['to both of you']);
    expect(bob2In.map((m) => m.content.text)).toEqual(['to both of you']);

    // Bob answers from device 2: Alice gets it, device 1 gets a sync copy.
    const answer = await bob2.reply(alice.address.account, 'from my laptop', first.ref);
    expect(answer.syncedDevices).toEqual([1]);
    await alice.poll();
    await bob1.poll();
    expect(aliceIn.map((m) => [m.sender.device, m.content.text])).toEqual([[2, 'from my laptop']]);
    expect(bob1In.at(-1)).toMatchObject({ fromSelf: true, conversation: alice.address.account, sender: { device: 2 }, content: { text: 'from my laptop' } });
    expect((await bob1.history(alice.address.account)).map((m) => m.decoded.text)).toEqual(['to both of you', 'from my laptop']);

    // Bob removes device 2; Alice's next send notices (relay: extra device) and reaches device 1 only.
    await bob1.removeDevice(2);
    const after = await alice.send(bob, { text: 'after removal' });
    expect(after.devices).toEqual([1]);
    expect(await bob2.poll().catch(() => 0)).toBe(0);
    await bob1.poll();
    expect(bob1In.at(-1)?.content.text).toBe('after removal');
    expect(bob2In.map((m) => m.content.text)).toEqual(['to both of you']);
    await Promise.all([alice.close(), bob1.close(), bob2.close()]);
  });

  it('a device linked later is picked up by a sender that already has sessions (missing device -> refresh and retry)', async () => {
    const alice = newClient();
    const bob1 = newClient();
    await alice.register();
    await bob1.register();
    await alice.addContact(bob1.contactCard());
    await alice.send(bob1.address.account, { text: 'one' });
    const bob2 = newClient();
    await linkDevice(bob1, bob2);
    const sent = await alice.send(bob1.address.account, { text: 'two' });
    expect(sent.devices).toEqual([1, 2]);
    const bob2In = collect(bob2);
    await bob2.poll();
    expect(bob2In.map((m) => m.content.text)).toEqual(['two']);
    await Promise.all([alice.close(), bob1.close(), bob2.close()]);
  });

  // Was "a device id reused by a newly linked device is stale for old sessions (410 …)": ids are no
  // longer reused (issue 11 item 2), so the old session's device is extra (409) and the new id missing.
  it('a device linked after a removal gets a new id; a sender with a session to the removed one reaches it (409 -> refresh, retry)', async () => {
    const alice = newClient();
    const bob1 = newClient();
    const oldLaptop = newClient();
    await alice.register();
    await bob1.register();
    await linkDevice(bob1, oldLaptop);
    await alice.addContact(bob1.contactCard());
    expect((await alice.send(bob1.address.account, { text: 'one' })).devices).toEqual([1, 2]);
    await bob1.removeDevice(2);
    const newLaptop = newClient();
    await linkDevice(bob1, newLaptop);
    expect(newLaptop.address.device).toBe(3);
    const sent = await alice.send(bob1.address.account, { text: 'two' });
    expect(sent.devices).toEqual([1, 3]);
    const got = collect(newLaptop);
    await newLaptop.poll();
    expect(got.map((m) => m.content.text)).toEqual(['two']);
    await Promise.all([alice.close(), bob1.close(), oldLaptop.close(), newLaptop.close()]);
  });
});
