/**
 * The envelope stores the store contract suites run against: SQLite (always)
 * and PostgreSQL (when a test server is named, `postgresAvailable()`), each
 * on its own fresh database per test — a SQLite file in a temp dir, or a
 * database created for the test and dropped after it. `stats` reads the
 * stored rows and bytes directly (to check what is stored, not only what is
 * served); `second` opens another store on the same database, as a second
 * relay instance would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresAvailable } from '@sealpost/devkit/postgres';
import { PostgresEnvelopeStore, SqliteEnvelopeStore, type EnvelopeStore } from '../../src/index.ts';
import { storeStats, type StoreStats } from './test-storage.ts';

export type { StoreStats };

/** One test's database and a store on it. */
export interface OpenedStore {
  store: EnvelopeStore;
  /** Another store on the same database (closed by `close`). */
  second(): Promise<EnvelopeStore>;
  stats(): Promise<StoreStats>;
  /** Closes every store opened and removes the database. */
  close(): Promise<void>;
}

export interface StoreBackend {
  name: string;
  available: boolean;
  open(): Promise<OpenedStore>;
}

function sqliteBackend(): StoreBackend {
  return {
    name: 'SqliteEnvelopeStore',
    available: true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'relay-store-'));
      const path = join(dir, 'relay.sqlite');
      const stores: EnvelopeStore[] = [new SqliteEnvelopeStore({ path })];
      return {
        store: stores[0]!,
        async second() {
          const s = new SqliteEnvelopeStore({ path });
          stores.push(s);
          return s;
        },
        stats: () => storeStats({ dbPath: path }),
        async close() {
          for (const s of stores) await s.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function postgresBackend(): StoreBackend {
  return {
    name: 'PostgresEnvelopeStore',
    available: postgresAvailable(),
    async open() {
      const db = await createTestDatabase('sealpost_relay');
      const stores: EnvelopeStore[] = [await PostgresEnvelopeStore.open({ url: db.url, maxConnections: 8 })];
      return {
        store: stores[0]!,
        async second() {
          const s = await PostgresEnvelopeStore.open({ url: db.url, maxConnections: 8 });
          stores.push(s);
          return s;
        },
        stats: () => storeStats({ dbPath: '', databaseUrl: db.url }),
        async close() {
          for (const s of stores) await s.close();
          await db.drop();
        },
      };
    },
  };
}

/** SQLite, then PostgreSQL (skipped without a test server). */
export const STORE_BACKENDS: readonly StoreBackend[] = [sqliteBackend(), postgresBackend()];
