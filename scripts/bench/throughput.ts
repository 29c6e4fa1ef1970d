/**
 * The platform-neutral half of the timing helpers (timing.ts binds it to
 * Node's clock and settings; the browser benchmark's page to
 * `performance.now()`): figures, deadlines, calibrated interleaved rounds.
 * No Node imports, so the browser bundle can use it.
 */

/** How rounds are timed. */
export interface TimingOptions {
  /** Rounds per figure (the median is reported). */
  rounds: number;
  /** Target length of one round, ms. */
  roundMs: number;
  /** Wall-clock limit of one timed call, s. */
  deadlineS: number;
  /** The clock, ms. */
  now: () => number;
}

/**
 * `work`, or a rejection after `seconds` of wall time. A peer whose promise
 * never settles (seen twice with an async peer during the ping-pong row, at
 * 0 % CPU) then costs its own cell, not the whole run.
 */
export async function withDeadline<T>(work: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${seconds} s (stalled)`)), seconds * 1000);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
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

/** Iterations for one round of about `options.roundMs`; the growing calls double as JIT warm-up. */
async function calibrate(runner: Runner, options: TimingOptions): Promise<number> {
  const { now, roundMs } = options;
  let n = 4;
  for (;;) {
    if (runner.prepare) await runner.prepare(n);
    const start = now();
    await withDeadline(runner.run(n), options.deadlineS, 'calibration');
    const elapsed = now() - start;
    if (elapsed >= roundMs / 4 || n >= 1 << 22) {
      return Math.max(1, Math.round((n * roundMs) / Math.max(elapsed, 0.001)));
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
export async function throughputInterleavedWith(
  options: TimingOptions,
  runners: ReadonlyMap<string, Runner>,
  onError: (name: string, error: unknown) => void = () => {},
): Promise<Map<string, Figure | null>> {
  const { now } = options;
  const sizes = new Map<string, number>();
  const rates = new Map<string, number[]>();
  const results = new Map<string, Figure | null>();
  for (const [name, runner] of runners) {
    try {
      sizes.set(name, await calibrate(runner, options));
      rates.set(name, []);
    } catch (error) {
      onError(name, error);
      results.set(name, null);
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, runner] of runners) {
      const n = sizes.get(name);
      if (n === undefined) continue;
      try {
        if (runner.prepare) await runner.prepare(n);
        const start = now();
        await withDeadline(runner.run(n), options.deadlineS, `round ${round + 1}`);
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

