import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../src/mutex.ts';
import { backoffDelay } from '../src/receiver.ts';

describe('KeyedMutex', () => {
  it('runs work on one key strictly in order and different keys concurrently; errors release the lock', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (key: string, id: string, ms: number, fail = false) =>
      mutex.run(key, async () => {
        log.push(`start ${id}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${id}`);
        if (fail) throw new Error(id);
        return id;
      });
    const results = await Promise.allSettled([task('a', 'a1', 30, true), task('a', 'a2', 5), task('b', 'b1', 10)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    // a2 starts only after a1 ended; b1 overlaps a1.
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
    expect(mutex.activeKeys).toBe(0);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, with ±20% jitter', () => {
    const policy = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10, 60].map((a) => backoffDelay(policy, a, () => 0.5))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(backoffDelay(policy, 1, () => 0)).toBe(160);
    expect(backoffDelay(policy, 1, () => 1)).toBe(240);
  });
});
