/**
 * The whole store contract (test/support/store-contract.ts,
 * quarantine-contract.ts — what the memory and SQLite stores pass) on the
 * browser store's IndexedDB engine in Chromium, plain and encrypted at rest:
 * `KvStore` runs here, every engine call (reads, prefix scans in IndexedDB's
 * key order, the atomic commit, the AES-GCM seal and open) runs in the page.
 * The exclusive section is Node's own queue here; the Web Lock across tabs
 * is browser-store.test.ts's.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { chromiumAvailable } from '@sealpost/devkit/chromium';
import { startBrowserWorld, type BrowserWorld, type Page } from '@sealpost/devkit/browser-page';
import type { KvBackend } from '../../src/store/kv/backend.ts';
import type { KvKey, KvWrite } from '../../src/store/kv/keys.ts';
import { KvStore } from '../../src/store/kv/store.ts';
import { SerialQueue } from '../../src/store/serial.ts';
import { quarantineContract } from '../support/quarantine-contract.ts';
import { storeContract } from '../support/store-contract.ts';
import { receiptStoreContract } from '../support/receipt-store-contract.ts';
import { editsContract } from '../support/edits-contract.ts';
import { conversationsContract } from '../support/conversations-contract.ts';
import { ktStoreContract } from '../support/kt-store-contract.ts';

let world: BrowserWorld;
let page: Page;
let databases = 0;

/** A `KvBackend` whose engine is an `IndexedDbBackend` in the page. */
class PageKvBackend implements KvBackend {
  readonly #name = `contract-${databases++}`;
  readonly #opened: Promise<void>;
  readonly #queue = new SerialQueue();
  constructor(encrypted: boolean) {
    this.#opened = page.evaluate(([n, e]) => window.sealpostKv.open(n, e), [this.#name, encrypted] as const);
  }
  async get(key: KvKey) {
    await this.#opened;
    return page.evaluate(([n, k]) => window.sealpostKv.get(n, k), [this.#name, key] as const);
  }
  async getMany(keys: readonly KvKey[]) {
    await this.#opened;
    return page.evaluate(([n, k]) => window.sealpostKv.getMany(n, k), [this.#name, [...keys]] as const);
  }
  async scan(prefix: KvKey) {
    await this.#opened;
    return page.evaluate(([n, p]) => window.sealpostKv.scan(n, p), [this.#name, prefix] as const);
  }
  async scanKeys(prefix: KvKey) {
    await this.#opened;
    return page.evaluate(([n, p]) => window.sealpostKv.scanKeys(n, p), [this.#name, prefix] as const);
  }
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(fn);
  }
  async commit(writes: readonly KvWrite[]) {
    await this.#opened;
    await page.evaluate(([n, w]) => window.sealpostKv.commit(n, w), [this.#name, [...writes]] as const);
  }
  async close() {
    await this.#opened;
    await page.evaluate((n) => window.sealpostKv.close(n), this.#name);
  }
}

describe.runIf(chromiumAvailable())('browser store contract (Chromium, IndexedDB engine)', () => {
  beforeAll(async () => {
    world = await startBrowserWorld(join(import.meta.dirname, 'fixtures', 'kv-page.ts'));
    page = await world.open();
  });
  afterAll(async () => {
    await world?.close();
  });

  for (const encrypted of [false, true]) {
    const open = () => new KvStore(new PageKvBackend(encrypted));
    describe(`IndexedDB${encrypted ? ' + AES-GCM at rest' : ''}`, () => {
      storeContract(open);
      quarantineContract(open);
      receiptStoreContract(open);
      editsContract(open);
      conversationsContract(open);
      ktStoreContract(open);
    });
  }
});
