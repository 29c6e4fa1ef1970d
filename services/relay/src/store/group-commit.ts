/**
 * Group commit for better-sqlite3: writes requested in the same event-loop
 * turn run in ONE SQLite transaction, and each caller's promise settles only
 * after that commit. A commit costs about as much for one envelope as for
 * fifty, so under load this multiplies throughput while keeping the rule
 * "a resolved write is in the database". Each job runs as a savepoint: a job
 * that throws (e.g. a full queue) rolls back only its own writes.
 *
 * This is a SQLite optimisation and lives inside `SqliteEnvelopeStore`; a
 * networked store would batch (or not) in its own way.
 */
import type Database from 'better-sqlite3';

interface Job {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Batches synchronous write jobs on one database into shared transactions. */
export class GroupCommit {
  private queue: Job[] = [];
  private transactions = 0;
  /** The shared transaction: runs every job of a batch. Built once (better-sqlite3 builds four wrappers per `transaction()`). */
  private readonly batch: (jobs: Job[], outcomes: Outcome[]) => void;
  /** One job inside the shared transaction: a nested better-sqlite3 transaction is a savepoint. */
  private readonly savepoint: (fn: () => unknown) => unknown;

  constructor(private readonly db: Database.Database) {
    this.savepoint = db.transaction((fn: () => unknown) => fn());
    this.batch = db.transaction((jobs: Job[], outcomes: Outcome[]) => {
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, value: this.savepoint(job.fn) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
  }

  /** How many shared transactions have been committed (or attempted). */
  get commits(): number {
    return this.transactions;
  }

  /** Runs `fn` inside the next shared transaction; resolves after commit. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued now (also called before the database closes). */
  flush(): void {
    const jobs = this.queue;
    if (jobs.length === 0) return;
    this.queue = [];
    this.transactions++;
    const outcomes: Outcome[] = [];
    try {
      this.batch(jobs, outcomes);
    } catch (error) {
      // The commit itself failed: nothing was written for anyone.
      for (const job of jobs) job.reject(error);
      return;
    }
    // Settled in queue order, so callers continue in commit order.
    jobs.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve(o.value);
      else job.reject(o.error);
    });
  }
}
