/**
 * `@sealpost/service-kit/postgres`: what every PostgreSQL-backed Sealpost
 * store shares — one pooled connection set with a statement timeout, and the
 * versioned migration runner.
 *
 * Driver: `pg` (node-postgres): the most used PostgreSQL driver for Node,
 * maintained, with pooling (`pg.Pool`), parameterized queries and
 * LISTEN/NOTIFY on a dedicated client, which the relay's delivery notifier needs.
 *
 * Migrations: a table `<name>_schema_migrations (version, name, applied_at)`
 * per component, so the key server and the relay can share one database.
 * The runner takes a transaction-scoped advisory lock
 * (`pg_advisory_xact_lock`) before it reads the version, so several
 * instances starting at once apply each step exactly once; each step runs in
 * the same transaction as its version row (PostgreSQL DDL is
 * transactional), so a failing step leaves the schema at the last step that
 * fully applied.
 */
import pg from 'pg';
import { SchemaTooNewError, type MigrationReport } from './sqlite-migrations.ts';

export { SchemaTooNewError, type MigrationReport };

/** How to reach PostgreSQL. */
export interface PgPoolOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** Most connections in the pool (default 10). */
  maxConnections?: number;
  /** Statement timeout per connection, ms (default 5,000; 0 = none). */
  statementTimeoutMs?: number;
  /** Time to wait for a free connection or a new one, ms (default 5,000). */
  connectionTimeoutMs?: number;
  /** Idle connections are closed after this, ms (default 30,000). */
  idleTimeoutMs?: number;
  /** `application_name` (shows in pg_stat_activity). */
  applicationName?: string;
}

/**
 * Opens a connection pool. Every connection gets the statement timeout and
 * the application name; a connection that fails while idle is logged by the
 * caller through `onError` (default: ignored — the pool replaces it) instead
 * of crashing the process, which is pg's default for an unhandled 'error'.
 */
export function openPgPool(options: PgPoolOptions, onError: (error: Error) => void = () => undefined): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 5_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    application_name: options.applicationName ?? 'sealpost',
  });
  pool.on('error', onError);
  return pool;
}

/** Something that runs queries: a pool or a checked-out client. */
export type PgQueryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Runs `fn` in one transaction on a pooled client: COMMIT on success, ROLLBACK on any error (rethrown). */
export async function withPgTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, isolation: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE' = 'READ COMMITTED'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** One PostgreSQL schema step. */
export interface PgMigration {
  /** The version this step leads to: 1 for the first, then consecutive. */
  readonly version: number;
  /** What it does, for logs and errors. */
  readonly name: string;
  /** SQL (several statements allowed), or a function doing the step on the transaction's client. */
  readonly up: string | ((client: pg.PoolClient) => Promise<void>);
}

/** Options of `migratePostgres`. */
export interface PgMigrateOptions {
  /** Component name: the version table is `<component>_schema_migrations`, the lock key derives from it. */
  component: string;
}

function checkOrder(migrations: readonly PgMigration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration "${m.name}" has version ${m.version}, expected ${i + 1} (versions start at 1 and are consecutive)`);
  });
}

/** The component's schema version (0 before the first migration). */
export async function pgSchemaVersion(db: PgQueryable, component: string): Promise<number> {
  const table = versionTable(component);
  const exists = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table]);
  if (exists.rows[0]?.t == null) return 0;
  const result = await db.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${table}`);
  return Number(result.rows[0]?.v ?? 0);
}

function versionTable(component: string): string {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(component)) throw new Error(`bad migration component name ${JSON.stringify(component)}`);
  return `${component}_schema_migrations`;
}

/**
 * Applies every migration newer than the database's version for
 * `component`, each in its own transaction under an advisory lock, so it
 * is safe to run from several instances at once (each step applies once).
 * Throws `SchemaTooNewError` when the database is ahead of `migrations`.
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly PgMigration[], options: PgMigrateOptions): Promise<MigrationReport> {
  checkOrder(migrations);
  const table = versionTable(options.component);
  const known = migrations.length;
  const from = await pgSchemaVersion(pool, options.component);
  if (from > known) throw new SchemaTooNewError(from, known);
  const applied: number[] = [];
  for (;;) {
    const done = await withPgTransaction(pool, async (client) => {
      // One lock per component (hashtext gives a stable int4 key), held to the end of this transaction.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sealpost:migrate:${options.component}`]);
      await client.query(`CREATE TABLE IF NOT EXISTS ${table} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const current = await pgSchemaVersion(client, options.component);
      if (current > known) throw new SchemaTooNewError(current, known);
      const next = migrations[current];
      if (next === undefined) return true;
      if (typeof next.up === 'string') await client.query(next.up);
      else await next.up(client);
      await client.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [next.version, next.name]);
      applied.push(next.version);
      return false;
    });
    if (done) return { from, to: known, applied };
  }
}

export { PgTokenBuckets, pgTokenBucketTableSql, type PgBucketLimit, type PgBucketTake } from './pg-token-buckets.ts';
