/**
 * Group commit inside the SQLite store: writes of one event-loop turn share a
 * transaction, each write is its own savepoint (a full queue refuses only its
 * own send), and every promise settles after the commit.
 */
import { describe, expect, it } from 'vitest';
import { QueueFullError, SqliteEnvelopeStore } from '../src/store/index.ts';

describe('SqliteEnvelopeStore group commit', () => {
  it('commits concurrent enqueues together and isolates a failing one', async () => {
    const store = new SqliteEnvelopeStore({ path: ':memory:' });
    const now = 1_000;
    const env = (accountId: string, marker: number) => ({ accountId, deviceId: 1, content: Uint8Array.of(0x11, marker) });
    await store.enqueue([env('full', 0), env('full', 1)], now, 60_000, 10);
    const commitsBefore = store.commits;
    const results = await Promise.allSettled([
      store.enqueue([env('a', 1)], now, 60_000, 2),
      // Would be the third envelope of a queue limited to 2: refused, and only this job rolls back.
      store.enqueue([env('other', 7), env('full', 2)], now, 60_000, 2),
      store.enqueue([env('a', 2)], now, 60_000, 2),
    ]);
    expect(store.commits - commitsBefore).toBe(1); // the three shared one transaction
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
    expect((await store.pending('a', 1, now, 10)).map((e) => Array.from(e.content))).toEqual([
      [0x11, 1],
      [0x11, 2],
    ]);
    expect(await store.depth('other', 1, now)).toBe(0);
    expect(await store.depth('full', 1, now)).toBe(2);
    // Acknowledgements go through the same path.
    const ids = (await store.pending('a', 1, now, 10)).map((e) => e.id);
    expect(await store.acknowledgeMany('a', 1, ids)).toBe(2);
    expect(await store.depth('a', 1, now)).toBe(0);
    await store.close();
  });

  it('commits writes still queued when the store closes', async () => {
    const store = new SqliteEnvelopeStore({ path: ':memory:' });
    const write = store.enqueue([{ accountId: 'a', deviceId: 1, content: Uint8Array.of(0x11) }], 1, 60_000, 10);
    await store.close();
    expect(await write).toHaveLength(1);
  });
});
