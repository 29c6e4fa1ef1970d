/**
 * Which store the relays of this test run use. With
 * `SEALPOST_TEST_SERVICE_STORE=postgres` (the `services-postgres` vitest
 * project) every relay a test starts gets a fresh PostgreSQL database
 * (`createTestDatabase`, dropped when the relay's harness or world closes);
 * otherwise a SQLite file, as before.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@sealpost/devkit/postgres';
import { PostgresEnvelopeStore, SqliteEnvelopeStore, type EnvelopeStore } from '../../src/index.ts';

/** True when this run puts every relay on PostgreSQL. */
export function onPostgres(): boolean {
  return process.env.SEALPOST_TEST_SERVICE_STORE === 'postgres';
}

/** A fresh relay database for one relay (or a group of instances sharing it). */
export function relayDatabase(): Promise<TestDatabase> {
  return createTestDatabase('sealpost_relay');
}

/** Opens a store on what a relay used: its PostgreSQL database when given, else its SQLite file. */
export function openStoreOf(where: { dbPath: string; databaseUrl?: string | undefined }): Promise<EnvelopeStore> {
  if (where.databaseUrl !== undefined) return PostgresEnvelopeStore.open({ url: where.databaseUrl, maxConnections: 2 });
  return Promise.resolve(new SqliteEnvelopeStore({ path: where.dbPath }));
}

/** What is stored, counted in the database itself (not as served). */
export interface StoreStats {
  envelopes: number;
  sharedPayloads: number;
  /** Bytes of envelope contents (whole envelopes and views) as stored. */
  envelopeBytes: number;
  /** Bytes of shared payloads as stored. */
  sharedBytes: number;
}

/** Counts a relay database's envelope rows and shared payloads, and their content bytes. */
export async function storeStats(where: { dbPath: string; databaseUrl?: string | undefined }): Promise<StoreStats> {
  if (where.databaseUrl === undefined) {
    const db = new Database(where.dbPath, { readonly: true });
    try {
      const e = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(content)), 0) AS b FROM envelopes').get() as { n: number; b: number };
      const s = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(content)), 0) AS b FROM shared_payloads').get() as { n: number; b: number };
      return { envelopes: e.n, envelopeBytes: e.b, sharedPayloads: s.n, sharedBytes: s.b };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: where.databaseUrl });
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
}

/**
 * Bytes the relay's envelope tables take on disk: SQLite, the file after a
 * WAL checkpoint (page count × page size); PostgreSQL, the envelope and
 * shared-payload tables with their indexes and TOAST, after VACUUM.
 */
export async function databaseBytes(where: { dbPath: string; databaseUrl?: string | undefined }): Promise<number> {
  if (where.databaseUrl === undefined) {
    const db = new Database(where.dbPath);
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: where.databaseUrl });
  await client.connect();
  try {
    await client.query('VACUUM relay_envelopes, relay_shared_payloads');
    const r = await client.query<{ b: string }>("SELECT pg_total_relation_size('relay_envelopes') + pg_total_relation_size('relay_shared_payloads') AS b");
    return Number(r.rows[0]!.b);
  } finally {
    await client.end();
  }
}

/** Everything a relay stored, for searching: its envelope columns, the accounts with access keys, and all stored bytes. */
export interface StoredState {
  envelopeColumns: string[];
  accessKeyAccounts: Set<string>;
  /** SQLite: the database files (WAL included); PostgreSQL: every value of every relay table. */
  bytes: Buffer;
}

/** Reads what a (stopped) relay stored. */
export async function storedState(where: { dbPath: string; databaseUrl?: string | undefined }): Promise<StoredState> {
  if (where.databaseUrl === undefined) {
    const dir = dirname(where.dbPath);
    const files = readdirSync(dir).filter((f) => f.startsWith(basename(where.dbPath))).map((f) => join(dir, f));
    const db = new Database(where.dbPath, { readonly: true });
    try {
      return {
        envelopeColumns: (db.prepare("SELECT name FROM pragma_table_info('envelopes')").all() as Array<{ name: string }>).map((c) => c.name),
        accessKeyAccounts: new Set((db.prepare('SELECT account_id FROM access_keys').all() as Array<{ account_id: string }>).map((r) => r.account_id)),
        bytes: Buffer.concat(files.map((f) => readFileSync(f))),
      };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: where.databaseUrl });
  await client.connect();
  try {
    const columns = await client.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'relay_envelopes'");
    const keys = await client.query<{ account_id: string }>('SELECT account_id FROM relay_access_keys');
    const tables = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'relay\\_%'");
    const parts: Buffer[] = [];
    for (const { tablename } of tables.rows) {
      for (const row of (await client.query<Record<string, unknown>>(`SELECT * FROM ${tablename}`)).rows) {
        for (const v of Object.values(row)) parts.push(Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));
      }
    }
    return {
      envelopeColumns: columns.rows.map((c) => c.column_name),
      accessKeyAccounts: new Set(keys.rows.map((r) => r.account_id)),
      bytes: Buffer.concat(parts),
    };
  } finally {
    await client.end();
  }
}
