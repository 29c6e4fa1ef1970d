/**
 * `@sealpost/service-kit/sqlite-backup`: an online backup of a service's
 * SQLite database while the service keeps running: `VACUUM INTO` on a
 * read-only connection — one read transaction, so the copy is the database
 * as of one moment, and in WAL mode the service's writers are never blocked.
 * (SQLite's incremental backup API restarts whenever another connection
 * writes, so under a steady write load it may never finish; measured here.)
 * The copy is checked with `PRAGMA integrity_check` and left 0600 (it holds
 * what the database holds).
 *
 * better-sqlite3 is loaded when called (an optional peer of the kit; every
 * service that uses SQLite depends on it).
 */
import { chmodSync, existsSync } from 'node:fs';

/** What `backupSqlite` did. */
export interface SqliteBackupReport {
  /** Bytes of the copy. */
  bytes: number;
  /** Milliseconds taken. */
  ms: number;
}

/**
 * Copies the database at `source` to `destination` (which must not exist)
 * without stopping the writer, then verifies the copy. Rejects, leaving no
 * destination behind, when the source is not a database or the copy fails
 * its integrity check.
 */
export async function backupSqlite(source: string, destination: string): Promise<SqliteBackupReport> {
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  if (existsSync(destination)) throw new Error(`${destination} exists: a backup never overwrites`);
  const { default: Database } = await import('better-sqlite3');
  const started = Date.now();
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(destination);
  } catch (error) {
    const { rmSync } = await import('node:fs');
    rmSync(destination, { force: true });
    throw error;
  } finally {
    db.close();
  }
  chmodSync(destination, 0o600);
  const copy = new Database(destination, { fileMustExist: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`backup ${destination} failed its integrity check: ${String(check)}`);
    const size = Number(copy.pragma('page_count', { simple: true })) * Number(copy.pragma('page_size', { simple: true }));
    return { bytes: size, ms: Date.now() - started };
  } catch (error) {
    copy.close();
    const { rmSync } = await import('node:fs');
    rmSync(destination, { force: true });
    throw error;
  } finally {
    if (copy.open) copy.close();
  }
}
