/**
 * Group commit for bundle fetches, used inside `SqliteKeyStore` and
 * `PostgresKeyStore`. Every fetch that consumes one-time keys needs a write
 * transaction, and the commit dominates its cost. Fetches that arrive in the
 * same event-loop turn are therefore queued and taken together in one
 * transaction (`takeBundlesMany`) at the end of the turn. Each fetch is still
 * atomic and sees the ones before it; a fetch waits at most one turn.
 *
 * With an asynchronous source (PostgreSQL) one batch is in flight at a time:
 * fetches arriving meanwhile form the next batch, which starts when it
 * commits. So batches hand out keys in arrival order, as with SQLite, and a
 * busy instance commits bigger batches instead of more transactions.
 */
import type { BundleRequest, DeviceBundle } from './key-store.ts';

/** Where a batch is taken from (synchronously, or as a Promise). */
export interface BundleSource {
  takeBundlesMany(requests: readonly BundleRequest[]): DeviceBundle[][] | Promise<DeviceBundle[][]>;
}

interface Pending extends BundleRequest {
  resolve(bundles: DeviceBundle[]): void;
  reject(error: unknown): void;
}

/** Queues bundle fetches and takes them in batches. */
export class BundleBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  /** The asynchronous batch being taken, if any. */
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly source: BundleSource,
    private readonly maxBatch = 256,
  ) {}

  /** Takes bundles for one fetch (resolved when its batch commits). */
  take(accountId: string, deviceId: number | undefined): Promise<DeviceBundle[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ accountId, deviceId, resolve, reject });
      if (this.inFlight !== undefined) return; // the next batch starts when this one settles
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs (up to `maxBatch` of) what is queued now, in one transaction, unless a batch is in flight. */
  flush(): void {
    this.scheduled = false;
    if (this.inFlight !== undefined || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    const settle = (results: DeviceBundle[][]) => batch.forEach((p, i) => p.resolve(results[i]!));
    const fail = (e: unknown) => {
      for (const p of batch) p.reject(e);
    };
    let results: DeviceBundle[][] | Promise<DeviceBundle[][]>;
    try {
      results = this.source.takeBundlesMany(batch);
    } catch (e) {
      fail(e);
      return;
    }
    if (!(results instanceof Promise)) {
      settle(results);
      if (this.queue.length > 0) this.flush();
      return;
    }
    this.inFlight = results.then(settle, fail).finally(() => {
      this.inFlight = undefined;
      this.flush();
    });
  }

  /** Resolves once nothing is queued or in flight (before closing the source). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight !== undefined) await this.inFlight;
  }
}
