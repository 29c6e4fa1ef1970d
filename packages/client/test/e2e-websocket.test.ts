import { describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../src/client.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices({ relayDb: 'relay.db', clientDefaults: { receive: { mode: 'websocket', backoff: { initialMs: 50, maxMs: 400 } } } });
const newClient = local.client;

async function until(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('end to end over WebSocket', () => {
  it('delivers to an offline recipient when it comes online, then live, across a relay restart', async () => {
    const alice = newClient();
    const bobStorePath = local.path('bob.db');
    let bob = newClient({ store: new SqliteStore(bobStorePath) });
    await alice.register();
    await bob.register();
    const bobAccount = bob.address.account;
    await alice.addContact(bob.contactCard());
    await bob.close();

    // Bob is offline: messages queue at the relay.
    for (let i = 0; i < 20; i++) await alice.send(bobAccount, { text: `offline ${i}` });

    bob = newClient({ store: new SqliteStore(bobStorePath) });
    const got: ReceivedMessage[] = [];
    const states: string[] = [];
    bob.on('message', (m) => got.push(m));
    bob.on('connection', (s) => states.push(s));
    await bob.start();
    await until(() => got.length === 20);
    await bob.drained();
    expect(got.map((m) => m.content.text)).toEqual(Array.from({ length: 20 }, (_, i) => `offline ${i}`));

    // Live delivery.
    await alice.send(bobAccount, { text: 'live' });
    await until(() => got.length === 21);

    // The relay goes away and comes back on the same port: Bob reconnects with backoff.
    await local.services.stopRelay();
    await until(() => states.includes('waiting'));
    await local.services.restartRelay();
    await until(() => states.filter((s) => s === 'open').length >= 2);
    for (let i = 0; i < 5; i++) await alice.send(bobAccount, { text: `after restart ${i}` });
    await until(() => got.length === 26);
    expect(got.slice(21).map((m) => m.content.text)).toEqual(Array.from({ length: 5 }, (_, i) => `after restart ${i}`));
    // Every message stored exactly once and accepted.
    expect(await bob.store.history.count('in')).toBe(26);
    expect(await bob.store.history.undelivered()).toHaveLength(0);
    await alice.close();
    await bob.close();
  });

  it('offers messages through the async iterator and acknowledges only what was stored', async () => {
    const alice = newClient({ receive: { mode: 'manual' } });
    const bob = newClient();
    await alice.register();
    await bob.register();
    await alice.addContact(bob.contactCard());
    await bob.start();
    const texts: string[] = [];
    const reader = (async () => {
      for await (const m of bob.messages()) {
        texts.push(m.content.text ?? '');
        if (texts.length === 3) break;
      }
    })();
    for (const t of ['a', 'b', 'c']) await alice.send(bob.address.account, { text: t });
    await reader;
    expect(texts).toEqual(['a', 'b', 'c']);
    await bob.drained();
    // Every envelope was acknowledged after it was stored: the relay queue empties
    // (the last WebSocket ack may still be in flight, so wait for it).
    let left = -1;
    for (let i = 0; i < 100 && left !== 0; i++) {
      left = (await bob.relay.fetch()).envelopes.length;
      if (left !== 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(left).toBe(0);
    expect(await bob.store.history.count('in')).toBe(3);
    await alice.close();
    await bob.close();
  });
});
