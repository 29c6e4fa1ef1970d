/**
 * Per-key async serialization. Every operation on one peer's sessions runs
 * under that peer's lock, so an encrypt and a decrypt on the same session can
 * never interleave inside one process (the cause of the "Bad MAC" / lost
 * session bugs of other JS Signal libraries). Across processes the store's
 * `BEGIN IMMEDIATE` transaction does the same job.
 */
export class KeyedMutex {
  // Tail of each key's queue; removed when the queue drains so idle keys cost nothing.
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier `run` on the same key has settled. */
  async run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Number of keys with queued or running work (for tests and metrics). */
  get activeKeys(): number {
    return this.#tails.size;
  }
}
