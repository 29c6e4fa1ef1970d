/// <reference lib="dom" />
/**
 * `openBrowserStore`: the client's store in a browser — IndexedDB under
 * `KvStore`, a Web Lock per database around every transaction, and optional
 * at-rest encryption with an app-supplied AES-GCM `CryptoKey`.
 *
 * A plain `['meta', 'format']` record says how the database is written
 * (format version, encrypted or not); an encrypted database also holds a
 * sealed check value, so a wrong key is `ClientError('STORE_KEY')` at open,
 * before anything is read or written.
 */
import { ClientError } from '../../errors.ts';
import { KvStore } from '../kv/store.ts';
import type { KvKey } from '../kv/keys.ts';
import { ValueCipher, checkStoreKey } from './at-rest.ts';
import { IndexedDbBackend } from './indexeddb-backend.ts';

/** The layout version this code writes and reads. */
export const BROWSER_STORE_FORMAT = 1;

const FORMAT: KvKey = ['meta', 'format'];
const KEY_CHECK: KvKey = ['meta', 'keyCheck'];
const KEY_CHECK_TEXT = 'sealpost browser store key check';

interface FormatRecord {
  version: number;
  encrypted: boolean;
}

export interface BrowserStoreOptions {
  /** IndexedDB database name (default `sealpost`); one per account on one origin. */
  name?: string;
  /** At-rest encryption: an AES-GCM key (non-extractable is best). The same key must be given on every open. */
  key?: CryptoKey;
  /**
   * IndexedDB durability of each commit: `'strict'` (default) completes a
   * transaction only once it is flushed to disk; `'relaxed'` is faster but an
   * OS crash or power loss can lose the last commits.
   */
  durability?: 'strict' | 'relaxed';
}

/** A browser `ClientStore` (see `KvStore`), open on `name`. */
export class BrowserStore extends KvStore {
  constructor(
    backend: IndexedDbBackend,
    /** The database name. */
    readonly name: string,
    /** True when values are encrypted at rest. */
    readonly encrypted: boolean,
  ) {
    super(backend);
  }
}

/** Opens (creating on first use) the browser store `options.name`. */
export async function openBrowserStore(options: BrowserStoreOptions = {}): Promise<BrowserStore> {
  const name = options.name ?? 'sealpost';
  if (options.key !== undefined) checkStoreKey(options.key);
  const backend = await IndexedDbBackend.open({ name, durability: options.durability });
  try {
    const cipher = options.key === undefined ? undefined : new ValueCipher(options.key, name);
    await backend.exclusive(async () => {
      const format = (await backend.getRaw(FORMAT)) as FormatRecord | undefined;
      if (format === undefined) {
        const records = [{ key: FORMAT, value: { version: BROWSER_STORE_FORMAT, encrypted: cipher !== undefined } satisfies FormatRecord }];
        if (cipher !== undefined) records.push({ key: KEY_CHECK, value: (await cipher.seal(KEY_CHECK, KEY_CHECK_TEXT)) as never });
        await backend.putRaw(records);
        return;
      }
      if (typeof format.version !== 'number' || format.version > BROWSER_STORE_FORMAT) {
        throw new ClientError('STORE_VERSION', `browser store ${name} has format ${String(format.version)}; this client reads up to ${BROWSER_STORE_FORMAT}`);
      }
      if (format.encrypted && cipher === undefined) throw new ClientError('STORE_KEY', `browser store ${name} is encrypted: open it with its key`);
      if (!format.encrypted && cipher !== undefined) throw new ClientError('STORE_KEY', `browser store ${name} is not encrypted: it was created without a key`);
      if (cipher !== undefined && (await cipher.open(KEY_CHECK, await backend.getRaw(KEY_CHECK))) !== KEY_CHECK_TEXT) {
        throw new ClientError('STORE_KEY', `browser store ${name}: wrong key`);
      }
    });
    backend.useCipher(cipher);
  } catch (e) {
    await backend.close();
    throw e;
  }
  return new BrowserStore(backend, name, options.key !== undefined);
}

/** Deletes the browser store `name` (every record; the app's data for that account is gone). */
export async function deleteBrowserStore(name = 'sealpost'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(new ClientError('STORE_UNAVAILABLE', `could not delete browser store ${name}`, { cause: request.error }));
    // 'blocked': another tab still has it open; its store closes on the version change and the delete goes on.
  });
}

/**
 * Asks the browser to keep this origin's storage under storage pressure
 * (`navigator.storage.persist()`); without it, IndexedDB is best-effort and
 * may be evicted — with the device's identity and sessions. Resolves whether
 * storage is (now) persistent. Firefox may ask the user, so call it when the
 * app sees fit (e.g. after registering); Chromium decides without a prompt.
 */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
  if (storage?.persist === undefined) return false;
  return (await storage.persisted()) || storage.persist();
}

