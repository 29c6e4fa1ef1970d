/**
 * The witness's schema, versioned, on both backends.
 *
 * SQLite: the kit's `migrateSqlite` (`PRAGMA user_version`). Step 1 is the
 * schema the witness had before it was versioned, written with
 * `IF NOT EXISTS`, so a file made by that version (user_version 0, tables
 * present) is taken over as it is.
 *
 * PostgreSQL: the kit's `migratePostgres` (component `witness`, table
 * `witness_schema_migrations`, advisory-locked: several instances starting at
 * once apply each step once). Tables are prefixed `witness_` so the witness
 * can share a database with the other services.
 */
import type { SqliteMigration } from '@sealpost/service-kit/sqlite-migrations';
import type { PgMigration } from '@sealpost/service-kit/postgres';
import { pgTokenBucketTableSql } from '@sealpost/service-kit/postgres';

export const WITNESS_SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'checkpoints and evidence',
    up: `
CREATE TABLE IF NOT EXISTS checkpoints (
  origin TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  origin TEXT NOT NULL,
  kind TEXT NOT NULL,
  cosigned_note TEXT NOT NULL,
  refused_note TEXT NOT NULL,
  proof TEXT NOT NULL,
  old_size INTEGER NOT NULL,
  received_at INTEGER NOT NULL
);`,
  },
];

/** The PostgreSQL rate-limit table (`PgTokenBuckets`, shared by every instance). */
export const WITNESS_PG_RATE_TABLE = 'witness_rate_limits';

export const WITNESS_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'checkpoints and evidence',
    up: `
CREATE TABLE witness_checkpoints (
  origin text PRIMARY KEY,
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL,
  note text NOT NULL
);
CREATE TABLE witness_evidence (
  id bigserial PRIMARY KEY,
  origin text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('split-view', 'inconsistent')),
  cosigned_note text NOT NULL,
  refused_note text NOT NULL,
  proof jsonb NOT NULL,
  old_size bigint NOT NULL,
  received_at bigint NOT NULL
);`,
  },
  { version: 2, name: 'shared add-checkpoint rate limits', up: pgTokenBucketTableSql(WITNESS_PG_RATE_TABLE) },
];
