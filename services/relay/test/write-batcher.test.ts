/**
 * Group commit: jobs of one event-loop turn share a transaction, each job is
 * its own savepoint (a full queue refuses only its own send), and every
 * promise settles after the commit.
 */
import { describe, expect, it } from 'vitest';
import { QueueFullError, SqliteEnvelopeStore } from '../src/store.ts';
import { WriteBatcher } from '../src/write-batcher.ts';

describe('WriteBatcher', () => {
  it('commits concurrent enqueues together and isolates a failing one', async () => {
    const store = new SqliteEnvelopeStore({ path: ':memory:' });
    const writes = new WriteBatcher(store);
    const now = 1_000;
    const env = (accountId: string, marker: number) => ({ accountId, deviceId: 1, content: Uint8Array.of(0x11, marker) });
    store.enqueue([env('full', 0), env('full', 1)], now, 60_000, 10);
    const results = await Promise.allSettled([
      writes.run(() => store.enqueue([env('a', 1)], now, 60_000, 2)),
      // Would be the third envelope of a queue limited to 2: refused, and only this job rolls back.
      writes.run(() => store.enqueue([env('other', 7), env('full', 2)], now, 60_000, 2)),
      writes.run(() => store.enqueue([env('a', 2)], now, 60_000, 2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
    expect(store.pending('a', 1, now, 10).map((e) => Array.from(e.content))).toEqual([
      [0x11, 1],
      [0x11, 2],
    ]);
    expect(store.depth('other', 1, now)).toBe(0);
    expect(store.depth('full', 1, now)).toBe(2);
    // Acknowledgements go through the same path.
    const ids = store.pending('a', 1, now, 10).map((e) => e.id);
    expect(await writes.run(() => store.acknowledgeMany('a', 1, ids))).toBe(2);
    expect(store.depth('a', 1, now)).toBe(0);
    store.close();
  });
});
