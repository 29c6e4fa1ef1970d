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
import Database from 'better-sqlite3';
import pg from 'pg';
import { createTestDatabase, postgresAvailable } from '@sealpost/devkit/postgres';
import { PostgresEnvelopeStore, SqliteEnvelopeStore, type EnvelopeStore } from '../../src/index.ts';

/** What is stored, counted in the database itself. */
export interface StoreStats {
  envelopes: number;
  sharedPayloads: number;
  /** Bytes of envelope contents (full envelopes and views) as stored. */
  envelopeBytes: number;
  /** Bytes of shared payloads as stored. */
  sharedBytes: number;
}

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
        async stats() {
          const db = new Database(path, { readonly: true });
          try {
            const e = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(content)), 0) AS b FROM envelopes').get() as { n: number; b: number };
            const s = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(content)), 0) AS b FROM shared_payloads').get() as { n: number; b: number };
            return { envelopes: e.n, envelopeBytes: e.b, sharedPayloads: s.n, sharedBytes: s.b };
          } finally {
            db.close();
          }
        },
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
        async stats() {
          const client = new pg.Client({ connectionString: db.url });
          await client.connect();
          try {
            const q = async (table: string) =>
              (await client.query<{ n: number; b: string }>(`SELECT count(*)::int AS n, COALESCE(sum(length(content)), 0)::bigint AS b FROM ${table}`)).rows[0]!;
            const e = await q('relay_envelopes');
            const s = await q('relay_shared_payloads');
            return { envelopes: e.n, envelopeBytes: Number(e.b), sharedPayloads: s.n, sharedBytes: Number(s.b) };
          } finally {
            await client.end();
          }
        },
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
