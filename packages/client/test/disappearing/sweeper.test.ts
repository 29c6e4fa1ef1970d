/**
 * The sweeper on an injected clock: `start()` deletes what is already due
 * and arms one timer to the soonest pending deletion; when it fires the
 * messages due by then go (and it re-arms to the next); `stop()` disarms.
 * Timers are vitest's fake ones, so nothing really waits.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../src/store/memory.ts';
import { SWEEP_BATCH, Sweeper, type ExpiredMessages } from '../../src/disappearing/sweeper.ts';
import { encodeContent } from '../../src/content.ts';
import type { AttachmentPointer } from '../../src/attachments/pointer.ts';

let t = 1_000_000;
const now = () => t;

async function withMessages(store: MemoryStore, expiries: number[]): Promise<number[]> {
  const ids: number[] = [];
  for (const [i, at] of expiries.entries()) {
    const id = await store.history.add({ direction: 'in', peer: i % 2 === 0 ? 'acct-b' : 'acct-c', sender: { account: 'acct-b', device: 1 }, timestamp: i + 1, content: Uint8Array.of(i), envelopeId: `e${i}`, storedAt: 0 });
    await store.expirations.schedule(id, at);
    ids.push(id);
  }
  return ids;
}

describe('disappearing-message sweeper', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    t = 1_000_000;
  });
  afterEach(() => vi.useRealTimers());

  it('sweeps what is due on start, then fires at the next deletion and re-arms; stop() disarms', async () => {
    const store = new MemoryStore();
    const expired: ExpiredMessages[] = [];
    const sweeper = new Sweeper({ store, now, onExpired: (e) => expired.push(e), onError: (e) => expect.fail(String(e)) });
    const [past, soon, later, last] = (await withMessages(store, [t - 1, t + 5_000, t + 9_000, t + 60_000])) as [number, number, number, number];
    // Nothing runs before start.
    await sweeper.arm();
    expect(vi.getTimerCount()).toBe(0);
    expect((await sweeper.start()).ids).toEqual([past]);
    expect(expired).toEqual([{ ids: [past], peers: ['acct-b'], attachments: [] }]);
    expect(vi.getTimerCount()).toBe(1);
    // The clock reaches the next deletion and the timer fires.
    t += 5_000;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(expired.at(-1)).toEqual({ ids: [soon], peers: ['acct-c'], attachments: [] });
    expect(await store.history.get(soon)).toBeUndefined();
    expect(await store.history.get(later)).toBeDefined();
    t += 4_000;
    await vi.advanceTimersByTimeAsync(4_000);
    expect(expired.at(-1)?.ids).toEqual([later]);
    expect(vi.getTimerCount()).toBe(1);
    sweeper.stop();
    expect(vi.getTimerCount()).toBe(0);
    t += 60_000;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await store.history.get(last)).toBeDefined();
    // Swept by hand (a stopped sweeper does not re-arm).
    expect((await sweeper.sweep()).ids).toEqual([last]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reports the deleted messages' attachments (the app deletes its downloaded copies)", async () => {
    const store = new MemoryStore();
    const expired: ExpiredMessages[] = [];
    const sweeper = new Sweeper({ store, now, onExpired: (e) => expired.push(e), onError: (e) => expect.fail(String(e)) });
    const pointer: AttachmentPointer = { cdnKey: 'blob1234567890abcdef', contentType: 'image/jpeg', key: new Uint8Array(64).fill(7), size: 1234, digest: new Uint8Array(32).fill(9), fileName: 'lake.jpg' };
    const id = await store.history.add({ direction: 'in', peer: 'acct-b', sender: { account: 'acct-b', device: 1 }, timestamp: 5, content: encodeContent({ timestamp: 5, attachments: [pointer] }), envelopeId: 'att', storedAt: 0 });
    await store.expirations.schedule(id, t);
    await sweeper.sweep();
    expect(expired).toHaveLength(1);
    expect(expired[0]!.ids).toEqual([id]);
    expect(expired[0]!.attachments).toMatchObject([{ cdnKey: 'blob1234567890abcdef', fileName: 'lake.jpg', size: 1234 }]);
  });

  it('deletes more than one batch in one sweep, soonest first', async () => {
    const store = new MemoryStore();
    const sweeper = new Sweeper({ store, now, onExpired: () => {}, onError: (e) => expect.fail(String(e)) });
    const ids = await withMessages(store, Array.from({ length: SWEEP_BATCH + 3 }, (_, i) => t - 1 - i));
    const out = await sweeper.sweep();
    expect(out.ids).toHaveLength(SWEEP_BATCH + 3);
    expect(out.ids.slice(0, 2)).toEqual([ids.at(-1), ids.at(-2)]);
    expect(await store.history.count()).toBe(0);
    expect(out.peers.sort()).toEqual(['acct-b', 'acct-c']);
  });
});
