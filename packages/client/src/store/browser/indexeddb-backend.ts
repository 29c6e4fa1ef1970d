/// <reference lib="dom" />
/**
 * The browser store's engine: one IndexedDB object store (`records`) keyed
 * by `KvKey` arrays (via `idb`), and a Web Lock named after the database
 * for the exclusive section, so the transactions of every tab (and worker)
 * of one origin and profile run one at a time. Writes are committed in one
 * IndexedDB `readwrite` transaction opened only after every value is ready
 * (encryption is async WebCrypto, and IndexedDB auto-commits a transaction
 * whose task awaits anything else).
 */
import { openDB, type IDBPDatabase } from 'idb';
import { ClientError } from '../../errors.ts';
import type { KvBackend } from '../kv/backend.ts';
import type { KvKey, KvWrite } from '../kv/keys.ts';
import type { ValueCipher } from './at-rest.ts';

const RECORDS = 'records';

/** Keys under `prefix`: from the prefix itself up to anything longer (an array sorts after every string and number). */
function prefixRange(prefix: KvKey): IDBKeyRange {
  return IDBKeyRange.bound([...prefix], [...prefix, []]);
}

function storeError(what: string, e: unknown): ClientError {
  if (e instanceof ClientError) return e;
  const name = (e as { name?: string } | undefined)?.name ?? 'Error';
  return new ClientError('STORE_UNAVAILABLE', `IndexedDB ${what} failed (${name}${name === 'QuotaExceededError' ? ': storage quota exceeded' : ''})`, { cause: e });
}

export interface IndexedDbBackendOptions {
  /** The IndexedDB database name (also names the Web Lock). */
  readonly name: string;
  /** Values sealed with this cipher (at-rest encryption); none: structured clone in clear. */
  readonly cipher?: ValueCipher | undefined;
  /** IndexedDB commit durability (default `'strict'`: complete only once flushed). */
  readonly durability?: 'strict' | 'relaxed' | undefined;
}

export class IndexedDbBackend implements KvBackend {
  #cipher: ValueCipher | undefined;
  readonly #lockName: string;
  readonly #durability: 'strict' | 'relaxed';

  private constructor(
    private readonly db: IDBPDatabase,
    options: IndexedDbBackendOptions,
  ) {
    this.#cipher = options.cipher;
    this.#lockName = `sealpost-store:${options.name}`;
    this.#durability = options.durability ?? 'strict';
  }

  /** Opens (creating on first use) the database. */
  static async open(options: IndexedDbBackendOptions): Promise<IndexedDbBackend> {
    if (typeof indexedDB === 'undefined') throw new ClientError('STORE_UNAVAILABLE', 'this context has no IndexedDB');
    if (typeof navigator === 'undefined' || navigator.locks === undefined) {
      throw new ClientError('STORE_UNAVAILABLE', 'this context has no Web Locks (navigator.locks needs a secure context: https or http://127.0.0.1)');
    }
    let db: IDBPDatabase;
    try {
      db = await openDB(options.name, 1, {
        upgrade(database) {
          database.createObjectStore(RECORDS);
        },
        // A newer version of the app wants to upgrade the schema: let it.
        blocking() {
          db.close();
        },
      });
    } catch (e) {
      throw storeError('open', e);
    }
    return new IndexedDbBackend(db, options);
  }

  /** Sets the cipher once the key was checked (see `openBrowserStore`). */
  useCipher(cipher: ValueCipher | undefined): void {
    this.#cipher = cipher;
  }

  /** A record as stored, bypassing the cipher (the store's format marker). */
  async getRaw(key: KvKey): Promise<unknown> {
    try {
      return await this.db.get(RECORDS, [...key]);
    } catch (e) {
      throw storeError('read', e);
    }
  }

  /** Writes records as given, bypassing the cipher. */
  async putRaw(records: readonly KvWrite[]): Promise<void> {
    await this.#write(records);
  }

  async get(key: KvKey): Promise<unknown> {
    const stored = await this.getRaw(key);
    return stored === undefined || this.#cipher === undefined ? stored : this.#cipher.open(key, stored);
  }

  async getMany(keys: readonly KvKey[]): Promise<unknown[]> {
    let stored: unknown[];
    try {
      const tx = this.db.transaction(RECORDS, 'readonly');
      stored = (await Promise.all([...keys.map((k) => tx.store.get([...k])), tx.done])).slice(0, keys.length);
    } catch (e) {
      throw storeError('read', e);
    }
    const cipher = this.#cipher;
    if (cipher === undefined) return stored;
    return Promise.all(stored.map((v, i) => (v === undefined ? undefined : cipher.open(keys[i]!, v))));
  }

  async scan(prefix: KvKey): Promise<[KvKey, unknown][]> {
    let keys: IDBValidKey[];
    let values: unknown[];
    try {
      const tx = this.db.transaction(RECORDS, 'readonly');
      const range = prefixRange(prefix);
      [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done]);
    } catch (e) {
      throw storeError('read', e);
    }
    const cipher = this.#cipher;
    const out = keys.map((k, i): [KvKey, unknown] => [k as unknown as KvKey, values[i]]);
    if (cipher === undefined) return out;
    return Promise.all(out.map(async ([k, v]): Promise<[KvKey, unknown]> => [k, await cipher.open(k, v)]));
  }

  async scanKeys(prefix: KvKey): Promise<KvKey[]> {
    try {
      return (await this.db.getAllKeys(RECORDS, prefixRange(prefix))) as unknown as KvKey[];
    } catch (e) {
      throw storeError('read', e);
    }
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return navigator.locks.request(this.#lockName, { mode: 'exclusive' }, fn) as Promise<T>;
  }

  async commit(writes: readonly KvWrite[]): Promise<void> {
    const cipher = this.#cipher;
    const sealed =
      cipher === undefined
        ? writes
        : await Promise.all(writes.map(async (w) => (w.value === undefined ? w : { key: w.key, value: await cipher.seal(w.key, w.value) })));
    await this.#write(sealed);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async #write(records: readonly KvWrite[]): Promise<void> {
    try {
      const tx = this.db.transaction(RECORDS, 'readwrite', { durability: this.#durability });
      // Every request is issued synchronously, then the transaction is awaited as a whole.
      const requests = records.map((w) => (w.value === undefined ? tx.store.delete([...w.key]) : tx.store.put(w.value, [...w.key])));
      await Promise.all([...requests, tx.done]);
    } catch (e) {
      throw storeError('commit', e);
    }
  }
}
