/**
 * One relay-wide budget for frames larger than the per-socket buffer bound.
 * Such a frame may only be written into an empty socket buffer, and it stays
 * in the relay's memory until the kernel has taken all of it — for a peer
 * that never reads, forever. Without a shared budget, N stalled sockets hold
 * N large frames (1,000 × 350 KB); with it they hold at most `limit` bytes
 * together, and the rest wait (woken, oldest first, as budget comes back).
 * Small frames — most envelopes — do not use it.
 */

/** The shared budget; one per relay instance. */
export class FlushBudget {
  private used = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly limit: number) {}

  /** Bytes currently held by unflushed large frames. */
  get inUse(): number {
    return this.used;
  }

  /** Takes `n` bytes if they fit (a single frame over the whole limit still goes when nothing is held). */
  tryTake(n: number): boolean {
    if (this.used > 0 && this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  /** Gives `n` bytes back and wakes waiters while there is room. */
  release(n: number): void {
    this.used = Math.max(0, this.used - n);
    for (const wake of this.waiters) {
      if (this.used >= this.limit) break;
      this.waiters.delete(wake);
      wake();
    }
  }

  /** Calls `wake` once budget is released (until `cancel`). */
  wait(wake: () => void): void {
    this.waiters.add(wake);
  }

  cancel(wake: () => void): void {
    this.waiters.delete(wake);
  }
}
