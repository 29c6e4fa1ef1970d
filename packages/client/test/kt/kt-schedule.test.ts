import { afterEach, describe, expect, it, vi } from 'vitest';
import { KtSchedule } from '../../src/kt/schedule.ts';

describe('KT schedule', () => {
  afterEach(() => vi.useRealTimers());

  it('a repeating task that throws is reported, and the next run still comes within one interval', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    const schedule = new KtSchedule(() => 1, (e) => errors.push(e));
    let runs = 0;
    schedule.repeat(1000, async () => {
      runs++;
      throw new Error(`run ${runs} failed`);
    });
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['run 1 failed', 'run 2 failed']);
    schedule.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(2);
  });

  it('a one-shot background task that throws is reported, not left as an unhandled rejection', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    const schedule = new KtSchedule(() => 0.5, (e) => errors.push(e));
    schedule.later(200, async () => {
      throw new Error('store closed');
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect((errors[0] as Error).message).toBe('store closed');
  });
});
