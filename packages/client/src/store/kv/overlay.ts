/**
 * One `KvStore` transaction: reads go to the engine, writes are buffered
 * here (and seen by later reads of the same transaction) until `KvStore`
 * commits them all at once — or drops them when the transaction rejects.
 */
import type { KvReader } from './backend.ts';
import { copyValue } from './copy.ts';
import { compareKeys, hasPrefix, keyId, type KvKey, type KvWrite } from './keys.ts';

export class KvTransaction {
  readonly #writes = new Map<string, KvWrite>();
  constructor(private readonly committed: KvReader) {}

  async get<T>(key: KvKey): Promise<T | undefined> {
    const w = this.#writes.get(keyId(key));
    if (w !== undefined) return w.value === undefined ? undefined : (copyValue(w.value) as T);
    return (await this.committed.get(key)) as T | undefined;
  }

  /** Several records at once (one engine read), in the order of `keys`. */
  async getMany<T>(keys: readonly KvKey[]): Promise<(T | undefined)[]> {
    const missing = keys.filter((k) => !this.#writes.has(keyId(k)));
    const fetched = new Map<string, unknown>();
    const values = missing.length === 0 ? [] : await this.committed.getMany(missing);
    missing.forEach((k, i) => fetched.set(keyId(k), values[i]));
    return keys.map((k) => {
      const w = this.#writes.get(keyId(k));
      if (w !== undefined) return w.value === undefined ? undefined : (copyValue(w.value) as T);
      return fetched.get(keyId(k)) as T | undefined;
    });
  }

  async has(key: KvKey): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  put(key: KvKey, value: unknown): void {
    if (value === undefined) throw new TypeError('KvTransaction.put: value must be defined (use delete)');
    this.#writes.set(keyId(key), { key, value: copyValue(value) });
  }

  delete(key: KvKey): void {
    this.#writes.set(keyId(key), { key, value: undefined });
  }

  /** Records under `prefix` as this transaction sees them, in key order. */
  async scan<T>(prefix: KvKey): Promise<[KvKey, T][]> {
    const merged = new Map<string, [KvKey, unknown]>();
    for (const [k, v] of await this.committed.scan(prefix)) merged.set(keyId(k), [k, v]);
    this.#merge(prefix, merged, (w) => [w.key, copyValue(w.value)]);
    return [...merged.values()].sort((a, b) => compareKeys(a[0], b[0])) as [KvKey, T][];
  }

  /** Keys under `prefix` as this transaction sees them, in key order. */
  async scanKeys(prefix: KvKey): Promise<KvKey[]> {
    const merged = new Map<string, KvKey>();
    for (const k of await this.committed.scanKeys(prefix)) merged.set(keyId(k), k);
    this.#merge(prefix, merged, (w) => w.key);
    return [...merged.values()].sort(compareKeys);
  }

  /** A counter record (`['counter', name]`), starting at `initial`: returns the current value and stores value + `step`. */
  async next(name: string, initial = 1, step = 1): Promise<number> {
    const key: KvKey = ['counter', name];
    const current = (await this.get<number>(key)) ?? initial;
    this.put(key, current + step);
    return current;
  }

  /** The buffered writes, in the order first made. */
  writes(): KvWrite[] {
    return [...this.#writes.values()];
  }

  #merge<V>(prefix: KvKey, into: Map<string, V>, entry: (w: KvWrite) => V): void {
    for (const [id, w] of this.#writes) {
      if (!hasPrefix(w.key, prefix)) continue;
      if (w.value === undefined) into.delete(id);
      else into.set(id, entry(w));
    }
  }
}
