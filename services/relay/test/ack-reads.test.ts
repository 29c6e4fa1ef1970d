/**
 * Issue 19: a WebSocket that is caught up gets new envelopes pushed from
 * the commit itself, so acknowledging them must not read its queue again
 * (it was one queue read per acknowledgement frame). A socket that is
 * behind (its window stopped a push) still refills from the queue on
 * acknowledgement. The store is wrapped to count the relay's queue reads.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { SqliteEnvelopeStore } from '../src/index.ts';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

/** The SQLite store, counting `pending` (queue reads). */
class CountingStore extends SqliteEnvelopeStore {
  reads = 0;
  override pending(...args: Parameters<SqliteEnvelopeStore['pending']>): ReturnType<SqliteEnvelopeStore['pending']> {
    this.reads++;
    return super.pending(...args);
  }
}

let harness: RelayHarness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function setUp(maxBatch?: number) {
  dir = mkdtempSync(join(tmpdir(), 'relay-ack-reads-'));
  const store = new CountingStore({ path: join(dir, 'relay.sqlite') });
  harness = await startRelay({ store, ...(maxBatch === undefined ? {} : { limits: { maxBatch } }) });
  const h = harness;
  const id = newAccountId();
  h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 7 }]);
  const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
  const cred = h.credential(id, 1);
  expect((await h.client.setAccessKey(id, cred, accessKey)).status).toBe(204);
  const send = async (i: number) => expect((await h.client.send(id, accessKey, [{ deviceId: 1, registrationId: 7, content: fakeSealed(i) }])).status).toBe(200);
  return { h, store, cred, send };
}

describe('queue reads on acknowledgement', () => {
  it('a caught-up socket acknowledging 30 pushed envelopes one by one reads its queue no more', async () => {
    const { h, store, cred, send } = await setUp();
    const s = await h.client.connect(cred, { autoAck: true });
    await s.waitFor(() => s.queueEmpty);
    const readsWhenCaughtUp = store.reads;
    for (let i = 0; i < 30; i++) {
      await send(i);
      await s.waitFor(() => s.received.length === i + 1);
    }
    // Let the last acknowledgements commit (and any read they would start run).
    await new Promise((r) => setTimeout(r, 100));
    expect(s.received.map((e) => e.content)).toEqual(Array.from({ length: 30 }, (_, i) => fakeSealed(i)));
    expect(store.reads - readsWhenCaughtUp).toBe(0);
    await s.close();
    // Every acknowledgement was stored: nothing comes back on a poll.
    expect((await h.client.poll(cred)).body.messages).toEqual([]);
  });

  it('a socket whose window is full refills from the queue when it acknowledges', async () => {
    const { h, store, cred, send } = await setUp(2);
    const s = await h.client.connect(cred, { autoAck: false });
    await s.waitFor(() => s.queueEmpty);
    for (let i = 0; i < 5; i++) await send(i);
    // Window of 2: two pushed, three wait in the queue.
    await s.waitFor(() => s.received.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.received).toHaveLength(2);
    const readsBefore = store.reads;
    s.ack(s.received.map((e) => e.id));
    await s.waitFor(() => s.received.length === 4);
    s.ack(s.received.slice(2).map((e) => e.id));
    await s.waitFor(() => s.received.length === 5);
    expect(s.received.map((e) => e.content)).toEqual(Array.from({ length: 5 }, (_, i) => fakeSealed(i)));
    expect(store.reads).toBeGreaterThan(readsBefore);
    await s.close();
  });
});
