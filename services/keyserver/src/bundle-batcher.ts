/**
 * Group commit for bundle fetches. Every fetch that consumes one-time keys
 * needs a write transaction, and on a real disk the commit dominates its
 * cost. Fetches that arrive in the same event-loop turn are therefore queued
 * and taken together in one transaction (`KeyStore.takeBundlesMany`) at the
 * end of the turn. Each fetch is still atomic and sees the ones before it;
 * a fetch waits at most one turn.
 */
import type { BundleRequest, DeviceBundle, KeyStore } from './store/key-store.ts';

interface Pending extends BundleRequest {
  resolve(bundles: DeviceBundle[]): void;
  reject(error: unknown): void;
}

/** Queues bundle fetches and takes them in batches. */
export class BundleBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly store: KeyStore,
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
    let results: DeviceBundle[][];
    try {
      results = this.store.takeBundlesMany(batch);
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
  }
}
