import { describe, expect, it } from 'vitest';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();
const newClient = local.client;

describe('end to end (polling)', () => {
  it('registers two accounts and exchanges sealed messages both ways', async () => {
    const alice = newClient();
    const bob = newClient();
    await alice.register();
    await bob.register();
    await alice.addContact(bob.contactCard());
    const sent = await alice.send(bob.address.account, { text: 'hello bob' });
    expect(sent.devices).toEqual([1]);
    const got: string[] = [];
    bob.on('message', (m) => got.push(`${m.sender.account === alice.address.account}:${m.content.text}`));
    expect(await bob.poll()).toBe(1);
    expect(got).toEqual(['true:hello bob']);
    // Bob learned Alice's profile key from the message and can answer.
    await bob.reply(alice.address.account, 'hi alice', sent.ref);
    const aliceGot: unknown[] = [];
    alice.on('message', (m) => aliceGot.push(m.content));
    expect(await alice.poll()).toBe(1);
    expect(aliceGot).toEqual([{ version: 1, timestamp: expect.any(Number), text: 'hi alice', replyTo: sent.ref }]);
    for (let i = 0; i < 5; i++) await alice.send(bob.address.account, { text: `m${i}` });
    expect(await bob.poll()).toBe(5);
    expect(got.slice(1)).toEqual(['true:m0', 'true:m1', 'true:m2', 'true:m3', 'true:m4']);
    expect(await bob.poll()).toBe(0);
    await alice.close();
    await bob.close();
  });

  it('receives automatically in polling mode and offers unaccepted messages again', async () => {
    const alice = newClient();
    let accept = false;
    const offered: string[] = [];
    const bob = newClient({
      receive: { mode: 'poll', pollIntervalMs: 30 },
      onMessage: (m) => {
        offered.push(m.content.text ?? '');
        if (!accept) throw new Error('app not ready');
      },
    });
    await alice.register();
    await bob.register();
    await alice.addContact(bob.contactCard());
    await bob.start();
    await alice.send(bob.address.account, { text: 'polled' });
    for (let i = 0; i < 200 && offered.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(offered).toEqual(['polled']);
    // Stored (and acknowledged) but not accepted by the app: offered again until it is.
    expect(await bob.store.history.undelivered()).toHaveLength(1);
    accept = true;
    await bob.redeliver();
    expect(offered).toEqual(['polled', 'polled']);
    expect(await bob.store.history.undelivered()).toHaveLength(0);
    expect(await bob.store.history.count('in')).toBe(1);
    await alice.close();
    await bob.close();
  });
});
