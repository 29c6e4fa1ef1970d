/**
 * Group commit for bundle fetches, used inside `SqliteKeyStore`. Every fetch
 * that consumes one-time keys needs a write transaction, and on a real disk
 * the commit dominates its cost. Fetches that arrive in the same event-loop
 * turn are therefore queued and taken together in one transaction
 * (`takeBundlesMany`) at the end of the turn. Each fetch is still atomic and
 * sees the ones before it; a fetch waits at most one turn.
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

  constructor(
    private readonly source: BundleSource,
    private readonly maxBatch = 256,
  ) {}

  /** Takes bundles for one fetch (resolved when its batch commits). */
  take(accountId: string, deviceId: number | undefined): Promise<DeviceBundle[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ accountId, deviceId, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything queued now, in one transaction. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const settle = (results: DeviceBundle[][]) => batch.forEach((p, i) => p.resolve(results[i]!));
    const fail = (e: unknown) => {
      for (const p of batch) p.reject(e);
    };
    try {
      const results = this.source.takeBundlesMany(batch);
      if (results instanceof Promise) results.then(settle, fail);
      else settle(results);
    } catch (e) {
      fail(e);
    }
  }
}
