/**
 * The SQLite schema migration runner the key server, the relay and the
 * client's SQLite store share. The schema version is `PRAGMA user_version`;
 * migration `v` takes a database from version `v - 1` to `v`. Each pending
 * migration runs in its own `BEGIN IMMEDIATE` transaction together with the
 * version bump, so a crash or a failing step leaves the database at the last
 * version that fully applied, and two processes opening one file at once
 * apply each step once (the version is re-read inside the write lock).
 *
 * Dependency-free on purpose (no fastify, no better-sqlite3 import): it
 * takes any synchronous handle with `exec(sql)` and `prepare(sql).get()`,
 * which better-sqlite3's `Database` and node:sqlite's `DatabaseSync` both
 * are.
 */

/** The part of a synchronous SQLite handle the runner uses. */
export interface MigratableDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): { get(...params: never[]): unknown };
}

/** One schema step. */
export interface SqliteMigration<D extends MigratableDatabase = MigratableDatabase> {
  /** The version this step leads to: 1 for the first, then consecutive. */
  readonly version: number;
  /** What it does, for logs and errors. */
  readonly name: string;
  /** SQL to run (several statements allowed), or a function doing the step on the handle. */
  readonly up: string | ((db: D) => void);
}

/** Options of `migrateSqlite`. */
export interface MigrateOptions<D extends MigratableDatabase = MigratableDatabase> {
  /** Called inside each step's transaction after it ran (e.g. to keep a history table). */
  onApplied?: (migration: SqliteMigration<D>, db: D) => void;
}

/** What `migrateSqlite` did. */
export interface MigrationReport {
  /** Version before. */
  from: number;
  /** Version after (the last migration's). */
  to: number;
  /** Versions applied by this call, in order. */
  applied: number[];
}

/** The database was written by newer code (its version is above every known migration). */
export class SchemaTooNewError extends Error {
  constructor(
    readonly databaseVersion: number,
    readonly knownVersion: number,
  ) {
    super(`database schema version ${databaseVersion} is newer than this code knows (${knownVersion})`);
    this.name = 'SchemaTooNewError';
  }
}

/** Migrations given as plain SQL strings, in order: entry `i` leads to version `i + 1`. */
export function sqlMigrations(steps: readonly string[], name = 'schema'): SqliteMigration[] {
  return steps.map((up, i) => ({ version: i + 1, name: `${name} v${i + 1}`, up }));
}

/** The database's `PRAGMA user_version`. */
export function schemaVersion(db: MigratableDatabase): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version?: unknown } | undefined;
  const v = Number(row?.user_version ?? 0);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`PRAGMA user_version is not a version: ${String(row?.user_version)}`);
  return v;
}

function checkOrder(migrations: readonly SqliteMigration<any>[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration "${m.name}" has version ${m.version}, expected ${i + 1} (versions start at 1 and are consecutive)`);
  });
}

/**
 * Applies every migration newer than the database's `user_version`, each in
 * its own immediate transaction. Throws `SchemaTooNewError` when the
 * database is ahead of `migrations`; a failing step is rolled back and its
 * error rethrown (the steps before it stay applied).
 */
export function migrateSqlite<D extends MigratableDatabase>(
  db: D,
  migrations: readonly SqliteMigration<D>[],
  options: MigrateOptions<D> = {},
): MigrationReport {
  checkOrder(migrations);
  const known = migrations.length;
  const from = schemaVersion(db);
  if (from > known) throw new SchemaTooNewError(from, known);
  const applied: number[] = [];
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    let done = false;
    try {
      // Re-read under the write lock: another process may have migrated meanwhile.
      const current = schemaVersion(db);
      if (current > known) throw new SchemaTooNewError(current, known);
      const next = migrations[current];
      if (next === undefined) {
        done = true;
      } else {
        if (typeof next.up === 'string') db.exec(next.up);
        else next.up(db);
        db.exec(`PRAGMA user_version = ${next.version}`);
        options.onApplied?.(next, db);
        applied.push(next.version);
      }
      db.exec('COMMIT');
    } catch (e) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // SQLite already rolled back (some errors end the transaction themselves); keep the original error.
      }
      throw e;
    }
    if (done) return { from, to: known, applied };
  }
}
