/**
 * Group commit: writes requested in the same event-loop turn run in ONE
 * SQLite transaction, and each caller's promise settles only after that
 * commit. A commit costs about as much for one envelope as for fifty, so
 * under load this multiplies throughput while keeping the rule "a 200 means
 * the envelope is in the database". Each job runs as a savepoint: a job
 * that throws (e.g. a full queue) rolls back only its own writes.
 */
import type { EnvelopeStore } from './store.ts';

interface Job {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Batches store writes into shared transactions. */
export class WriteBatcher {
  private queue: Job[] = [];

  constructor(private readonly store: EnvelopeStore) {}

  /** Runs `fn` inside the next shared transaction; resolves after commit. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const jobs = this.queue;
    this.queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.store.transaction(() => {
        for (const job of jobs) {
          try {
            outcomes.push({ ok: true, value: this.store.transaction(job.fn) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed: nothing was written for anyone.
      for (const job of jobs) job.reject(error);
      return;
    }
    jobs.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve(o.value);
      else job.reject(o.error);
    });
  }
}
