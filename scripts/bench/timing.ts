/**
 * Timing helpers: calibrated rounds and medians. Each throughput figure is
 * the median of `rounds` rounds, each round sized to last about `roundMs`,
 * after a calibration pass that doubles as JIT warm-up.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Knobs, overridable from the environment (BENCH_ROUNDS, BENCH_ROUND_MS,
 * BENCH_CLOCK). The clock is wall time by default; `cpu` counts this
 * process's CPU time (all its threads) instead, which keeps figures steady
 * when other processes compete for the cores.
 */
export const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 7),
  roundMs: Number(process.env.BENCH_ROUND_MS ?? 400),
  clock: (process.env.BENCH_CLOCK === 'cpu' ? 'cpu' : 'wall') as 'wall' | 'cpu',
};

/**
 * `work`, or a rejection after `seconds` of wall time. A peer whose promise
 * never settles (seen twice with an async peer during the ping-pong row, at
 * 0 % CPU) then costs its own cell, not the whole run.
 */
export async function withDeadline<T>(work: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${seconds} s (stalled)`)), seconds * 1000);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wall-clock limit for one timed call (a round is ~roundMs; calibration calls are shorter). */
const ROUND_DEADLINE_S = Number(process.env.BENCH_DEADLINE_S ?? 60);

/** Milliseconds on the configured clock. */
export function now(): number {
  if (settings.clock === 'wall') return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** A measured figure: the median and spread over rounds. */
export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function figure(values: readonly number[]): Figure {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), rounds: values.length };
}

/**
 * One implementation's part in a throughput measurement: `run(n)` performs
 * `n` iterations of `opsPerIteration` operations; `prepare(n)`, if given,
 * runs untimed before each timed call (to make the keys a round consumes).
 */
export interface Runner {
  readonly run: (n: number) => Promise<void>;
  readonly opsPerIteration: number;
  readonly prepare?: (n: number) => Promise<void>;
}

/** Iterations for one round of about `settings.roundMs`; the growing calls double as JIT warm-up. */
async function calibrate(runner: Runner): Promise<number> {
  let n = 4;
  for (;;) {
    if (runner.prepare) await runner.prepare(n);
    const start = now();
    await withDeadline(runner.run(n), ROUND_DEADLINE_S, 'calibration');
    const elapsed = now() - start;
    if (elapsed >= settings.roundMs / 4 || n >= 1 << 22) {
      return Math.max(1, Math.round((n * settings.roundMs) / Math.max(elapsed, 0.001)));
    }
    n *= 2;
  }
}

/**
 * Operations per second for several runners, with their rounds interleaved
 * (round 1 of each, then round 2 of each, …) so that load from other
 * processes falls on all of them alike and the ratios stay fair. A runner
 * that throws gets `null` and the error is reported through `onError`.
 */
export async function throughputInterleaved(
  runners: ReadonlyMap<string, Runner>,
  onError: (name: string, error: unknown) => void = () => {},
): Promise<Map<string, Figure | null>> {
  const sizes = new Map<string, number>();
  const rates = new Map<string, number[]>();
  const results = new Map<string, Figure | null>();
  for (const [name, runner] of runners) {
    try {
      sizes.set(name, await calibrate(runner));
      rates.set(name, []);
    } catch (error) {
      onError(name, error);
      results.set(name, null);
    }
  }
  for (let round = 0; round < settings.rounds; round++) {
    for (const [name, runner] of runners) {
      const n = sizes.get(name);
      if (n === undefined) continue;
      try {
        if (runner.prepare) await runner.prepare(n);
        const start = now();
        await withDeadline(runner.run(n), ROUND_DEADLINE_S, `round ${round + 1}`);
        const seconds = (now() - start) / 1000;
        rates.get(name)!.push((n * runner.opsPerIteration) / seconds);
      } catch (error) {
        onError(name, error);
        sizes.delete(name);
        results.set(name, null);
      }
    }
  }
  for (const [name, values] of rates) if (sizes.has(name)) results.set(name, figure(values));
  return results;
}

/**
 * One implementation's part in a timed-task measurement: `prepare()` runs
 * untimed and hands its value to the timed `run`.
 */
export interface Task<T = unknown> {
  readonly prepare: () => Promise<T>;
  readonly run: (prepared: T) => Promise<void>;
}

/** Milliseconds per task, median over rounds (plus one untimed warm-up round), interleaved like throughputInterleaved. */
export async function durationInterleaved(
  tasks: ReadonlyMap<string, Task>,
  onError: (name: string, error: unknown) => void = () => {},
): Promise<Map<string, Figure | null>> {
  const times = new Map<string, number[]>([...tasks.keys()].map((name) => [name, []]));
  const failed = new Set<string>();
  for (let round = 0; round <= settings.rounds; round++) {
    for (const [name, task] of tasks) {
      if (failed.has(name)) continue;
      try {
        const prepared = await withDeadline(task.prepare(), ROUND_DEADLINE_S, 'prepare');
        const start = now();
        await withDeadline(task.run(prepared), ROUND_DEADLINE_S, `round ${round}`);
        if (round > 0) times.get(name)!.push(now() - start);
      } catch (error) {
        onError(name, error);
        failed.add(name);
      }
    }
  }
  return new Map([...times].map(([name, values]) => [name, failed.has(name) ? null : figure(values)]));
}

let gcFunction: (() => void) | undefined;

/** A full garbage collection (enables --expose-gc at run time, so `tsx` needs no flags). */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
  gcFunction();
}
