/**
 * Timing helpers: calibrated rounds and medians. Each throughput figure is
 * the median of `rounds` rounds, each round sized to last about `roundMs`,
 * after a calibration pass that doubles as JIT warm-up.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { figure, throughputInterleavedWith, withDeadline, type Figure, type Runner } from './throughput.ts';

export { figure, median, withDeadline, type Figure, type Runner } from './throughput.ts';

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

/** Wall-clock limit for one timed call (a round is ~roundMs; calibration calls are shorter). */
const ROUND_DEADLINE_S = Number(process.env.BENCH_DEADLINE_S ?? 60);

/** Milliseconds on the configured clock. */
export function now(): number {
  if (settings.clock === 'wall') return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Operations per second for several runners, with their rounds interleaved
 * (round 1 of each, then round 2 of each, …) so that load from other
 * processes falls on all of them alike and the ratios stay fair. A runner
 * that throws gets `null` and the error is reported through `onError`.
 */
export function throughputInterleaved(
  runners: ReadonlyMap<string, Runner>,
  onError: (name: string, error: unknown) => void = () => {},
): Promise<Map<string, Figure | null>> {
  return throughputInterleavedWith({ rounds: settings.rounds, roundMs: settings.roundMs, deadlineS: ROUND_DEADLINE_S, now }, runners, onError);
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
