/**
 * A bounded least-recently-used map: the explicit form of the key-object
 * memos in x25519.ts. At most `capacity` entries; a hit makes the entry the
 * most recent; inserting past capacity evicts the least recent. `onEvict`
 * runs for every entry that leaves (evicted, replaced, deleted or cleared),
 * so entries holding secret bytes can wipe them.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #onEvict: ((value: V) => void) | undefined;

  constructor(
    readonly capacity: number,
    onEvict?: (value: V) => void,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`LRU capacity must be a positive integer, got ${capacity}`);
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value for `key`, made most recent; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    // Map iterates in insertion order: re-inserting moves the entry to the end.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value` as the most recent entry, evicting the least recent beyond capacity. */
  set(key: K, value: V): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      if (previous !== value) this.#onEvict?.(previous);
    }
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [K, V];
      this.#entries.delete(oldestKey);
      this.#onEvict?.(oldest);
    }
  }

  /** Removes every entry. */
  clear(): void {
    const values = [...this.#entries.values()];
    this.#entries.clear();
    if (this.#onEvict !== undefined) for (const v of values) this.#onEvict(v);
  }
}
