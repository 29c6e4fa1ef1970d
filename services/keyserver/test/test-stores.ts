/**
 * Key stores for tests, on either backend, with raw SQL access for the
 * tests that look inside the database.
 *
 * `SEALPOST_TEST_SERVICE_STORE=postgres` (the `services-postgres` vitest
 * project, which runs only when SEALPOST_TEST_POSTGRES_URL names a server)
 * puts every store and every app a test starts on a fresh PostgreSQL
 * database, dropped when it closes; otherwise SQLite ':memory:' as before.
 * The contract suites (store.test.ts, store-atomic.test.ts) name both
 * backends explicitly through `STORE_BACKENDS`.
 */
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@sealpost/devkit/postgres';
import { buildKeyServer, PostgresKeyStore, SqliteKeyStore, type KeyServerOptions, type KeyStore, type SqliteKeyStoreOptions } from '../src/index.ts';
import type { KtStore } from '../src/kt/kt-store.ts';
import { SqliteKtStore } from '../src/kt/sqlite-kt-store.ts';
import { PgKtStore } from '../src/kt/pg-kt-store.ts';
import { PgKtCluster } from '../src/kt/pg-kt-cluster.ts';

/** The storage backends. */
export type StoreBackend = 'sqlite' | 'postgres';

/** The backend apps and stores of this run use. */
export function testBackend(): StoreBackend {
  return process.env.SEALPOST_TEST_SERVICE_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

/** Raw SQL on a test store's database: `?` placeholders on both backends, blobs as Buffers, counts as numbers. */
export interface TestSql {
  readonly backend: StoreBackend;
  /** Rows of a query. */
  rows(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The first column of the first row as a number (COUNT(*) and the like). */
  count(sql: string, params?: unknown[]): Promise<number>;
  /** Runs a statement; answers the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  /** Every row of every table, deterministic order, blobs as hex (for "database unchanged" checks). */
  dump(): Promise<string>;
  /**
   * Rows holding one-time key material. SQLite keeps it in
   * `one_time_key_material` (deleted in batches after hand-out; call
   * `flushConsumed` first), PostgreSQL in the `one_time_prekeys` row itself.
   */
  keyMaterialRows(): Promise<number>;
  /** Deletes pending material of handed-out keys now (SQLite's batches; nothing to do on PostgreSQL). */
  flushConsumed(): void;
}

/** A store made for one test, with SQL access; `close` closes it and drops its database. */
export interface TestStore {
  readonly backend: StoreBackend;
  readonly store: KeyStore;
  readonly sql: TestSql;
  /** The PostgreSQL database's URL (undefined on SQLite). */
  readonly databaseUrl: string | undefined;
  /** Another store on the same database, with SQL access through it (a second process's view; SQLite: only for files). */
  reopen(): Promise<{ store: KeyStore; sql: TestSql }>;
  close(): Promise<void>;
}

const hexBlobs = (_k: string, v: unknown) => (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v);

function dumpRows(tables: Record<string, Record<string, unknown>[]>): string {
  const out: Record<string, string[]> = {};
  for (const [t, rows] of Object.entries(tables)) out[t] = rows.map((r) => JSON.stringify(r, hexBlobs)).sort();
  return JSON.stringify(out);
}

/** SQL access to a `SqliteKeyStore`. */
export function sqliteSql(store: SqliteKeyStore): TestSql {
  const db = store.db;
  return {
    backend: 'sqlite',
    rows: async (sql, params = []) => db.prepare(sql).all(...params) as Record<string, unknown>[],
    count: async (sql, params = []) => Number(db.prepare(sql).pluck().get(...params)),
    run: async (sql, params = []) => db.prepare(sql).run(...params).changes,
    dump: async () => {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
      return dumpRows(Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]])));
    },
    keyMaterialRows: async () => Number(db.prepare('SELECT COUNT(*) FROM one_time_key_material').pluck().get()),
    flushConsumed: () => store.flushConsumed(),
  };
}

/** `?` placeholders as PostgreSQL's `$n` (test SQL has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** SQL access to a PostgreSQL database (its own small pool; ended by `end`). */
export function postgresSql(url: string): TestSql & { end(): Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const query = (sql: string, params: unknown[] = []) =>
    pool.query(numbered(sql), params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p)));
  return {
    backend: 'postgres',
    rows: async (sql, params) => (await query(sql, params)).rows,
    count: async (sql, params) => Number(Object.values((await query(sql, params)).rows[0] ?? {})[0]),
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    dump: async () => {
      const tables = (await query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).rows.map((r) => r.tablename as string);
      const all: Record<string, Record<string, unknown>[]> = {};
      for (const t of tables) all[t] = (await query(`SELECT * FROM "${t}"`)).rows;
      return dumpRows(all);
    },
    keyMaterialRows: async () => Number((await query('SELECT count(*) FROM one_time_prekeys')).rows[0].count),
    flushConsumed: () => undefined,
    end: () => pool.end(),
  };
}

/** A fresh store on `backend` (SQLite: ':memory:', or the file `sqlite.path` with `sqlite.options`; PostgreSQL: a new database). */
export async function openTestStore(backend: StoreBackend = testBackend(), sqlite: { path?: string; options?: SqliteKeyStoreOptions } = {}): Promise<TestStore> {
  if (backend === 'sqlite') {
    const path = sqlite.path ?? ':memory:';
    const store = new SqliteKeyStore(path, sqlite.options);
    return { backend, store, sql: sqliteSql(store), databaseUrl: undefined, reopen: async () => {
        const again = new SqliteKeyStore(path);
        return { store: again, sql: sqliteSql(again) };
      },
      close: () => store.close(),
    };
  }
  const database = await createTestDatabase('ks_t');
  const store = await PostgresKeyStore.open({ url: database.url });
  const sql = postgresSql(database.url);
  return {
    backend,
    store,
    sql,
    databaseUrl: database.url,
    reopen: async () => ({ store: await PostgresKeyStore.open({ url: database.url }), sql }),
    async close() {
      await store.close();
      await sql.end();
      await database.drop();
    },
  };
}

/** The backends a contract suite runs on: SQLite always, PostgreSQL when a test server is named. */
export const STORE_BACKENDS: readonly { backend: StoreBackend; available: boolean }[] = [
  { backend: 'sqlite', available: true },
  { backend: 'postgres', available: postgresAvailable() },
];

/**
 * `buildKeyServer` on this run's backend: without `options.store`, on
 * PostgreSQL the app gets a `PostgresKeyStore` on a fresh database, dropped
 * when the app closes (on SQLite: the app's own ':memory:' store, as before).
 * Answers the app and SQL access to its database.
 */
export async function buildTestKeyServer(options: KeyServerOptions = {}): Promise<{ app: FastifyInstance; store: KeyStore; sql: TestSql | undefined }> {
  if (options.store !== undefined || testBackend() === 'sqlite') {
    const store = options.store ?? new SqliteKeyStore(options.dbPath ?? ':memory:');
    const app = await buildKeyServer({ ...options, store, closeStore: options.closeStore ?? options.store === undefined });
    // A store the test passed in is the test's to inspect.
    return { app, store, sql: options.store === undefined && store instanceof SqliteKeyStore ? sqliteSql(store) : undefined };
  }
  const database: TestDatabase = await createTestDatabase('ks_t');
  const store = await PostgresKeyStore.open({ url: database.url });
  const sql = postgresSql(database.url);
  const app = await buildKeyServer({ ...options, store, closeStore: true });
  // Runs after the store closed (buildKeyServer registered that hook first).
  app.addHook('onClose', async () => {
    await sql.end();
    await database.drop();
  });
  return { app, store, sql };
}

/** Where a key-server PROCESS a test starts keeps its data: flags for main.ts, a way to look inside afterwards, clean-up. */
export interface ProcessDatabase {
  /** `--db <file>` (SQLite) or `--database-url <url>` (PostgreSQL, a fresh database). */
  readonly args: string[];
  /** Opens a store on the same data (after the process exited, or beside it on PostgreSQL). */
  open(): Promise<KeyStore>;
  /** Drops the PostgreSQL database (SQLite: the caller removes its directory). */
  drop(): Promise<void>;
}

/** A database for a key-server process on this run's backend (`sqlitePath`: the SQLite file to use). */
export async function processDatabase(sqlitePath: string, backend: StoreBackend = testBackend()): Promise<ProcessDatabase> {
  if (backend === 'sqlite') return { args: ['--db', sqlitePath], open: async () => new SqliteKeyStore(sqlitePath), drop: async () => undefined };
  const database = await createTestDatabase('ks_t');
  return { args: ['--database-url', database.url], open: () => PostgresKeyStore.open({ url: database.url }), drop: () => database.drop() };
}

/**
 * The key-transparency store on a test key store's database, as the app
 * opens it: SQLite → `SqliteKtStore`; PostgreSQL → `PgKtStore` on its pool
 * with a `PgKtCluster` (the sequencer lock; pass it to `KtLog.open`).
 */
export function ktStoreOf(store: KeyStore, clusterOptions: { retryMs?: number } = {}): { store: KtStore; cluster?: PgKtCluster } {
  if (store instanceof SqliteKeyStore) return { store: new SqliteKtStore(store.db) };
  if (!(store instanceof PostgresKeyStore)) throw new Error('not a test key store');
  const kt = new PgKtStore(store.pool);
  return { store: kt, cluster: new PgKtCluster({ connection: store.pool.options, store: kt, ...clusterOptions }) };
}
