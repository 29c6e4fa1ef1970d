/**
 * What `KvStore` needs from a storage engine: point reads, ordered prefix
 * scans, an exclusive section held across every handle on the same database
 * (in a browser: a Web Lock, so other tabs wait too), and an atomic commit of
 * a batch of writes. `KvStore` buffers a transaction's writes and commits
 * them at the end inside the exclusive section, so the engine never has to
 * keep its own transaction open across the caller's awaits (IndexedDB
 * auto-commits when a task yields to a non-IndexedDB promise).
 */
import { copyValue } from './copy.ts';
import { compareKeys, hasPrefix, keyId, type KvKey, type KvWrite } from './keys.ts';

/** Reads of committed records. Values are returned as fresh copies. */
export interface KvReader {
  get(key: KvKey): Promise<unknown>;
  /** Several records in one read, in the order of `keys` (undefined where absent). */
  getMany(keys: readonly KvKey[]): Promise<unknown[]>;
  /** Records whose key starts with `prefix`, in key order. */
  scan(prefix: KvKey): Promise<[KvKey, unknown][]>;
  /** Keys that start with `prefix`, in key order (no values read or decrypted). */
  scanKeys(prefix: KvKey): Promise<KvKey[]>;
}

/** A storage engine under `KvStore`. */
export interface KvBackend extends KvReader {
  /** Runs `fn` with no other exclusive section running on this database, from this handle or any other. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Applies every write, or none. */
  commit(writes: readonly KvWrite[]): Promise<void>;
  close(): Promise<void>;
}

/** A `KvBackend` in this process's memory (tests, and a model of the browser engine). */
export class MemoryKvBackend implements KvBackend {
  readonly #records = new Map<string, { key: KvKey; value: unknown }>();
  #tail: Promise<void> = Promise.resolve();

  async get(key: KvKey): Promise<unknown> {
    const r = this.#records.get(keyId(key));
    return r === undefined ? undefined : copyValue(r.value);
  }

  async getMany(keys: readonly KvKey[]): Promise<unknown[]> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async scan(prefix: KvKey): Promise<[KvKey, unknown][]> {
    return this.#sorted(prefix).map((r) => [r.key, copyValue(r.value)]);
  }

  async scanKeys(prefix: KvKey): Promise<KvKey[]> {
    return this.#sorted(prefix).map((r) => r.key);
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async commit(writes: readonly KvWrite[]): Promise<void> {
    for (const w of writes) {
      if (w.value === undefined) this.#records.delete(keyId(w.key));
      else this.#records.set(keyId(w.key), { key: w.key, value: copyValue(w.value) });
    }
  }

  async close(): Promise<void> {
    // Nothing to release.
  }

  #sorted(prefix: KvKey): { key: KvKey; value: unknown }[] {
    return [...this.#records.values()].filter((r) => hasPrefix(r.key, prefix)).sort((a, b) => compareKeys(a.key, b.key));
  }
}
