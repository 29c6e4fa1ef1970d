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
