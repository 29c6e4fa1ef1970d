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
import { chmodSync, existsSync, rmSync } from 'node:fs';

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
    rmSync(destination, { force: true });
    throw error;
  } finally {
    if (copy.open) copy.close();
  }
}

/**
 * The `backup` subcommand of a service binary (`sealpost-keyserver backup
 * --db keyserver.db --out backup.db`): an online backup of its SQLite file
 * while the service runs. Prints one JSON line (`{ out, bytes, ms }`) and
 * resolves to the exit code: 0 done, 1 failed, 2 bad arguments.
 */
export async function runSqliteBackupCommand(args: readonly string[], service: string, write: (line: string) => void = (l) => process.stdout.write(l)): Promise<number> {
  const usage = `usage: sealpost-${service} backup --db <database file> --out <new file>\n`;
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!;
    const value = args[i + 1];
    if ((flag !== '--db' && flag !== '--out') || value === undefined || values.has(flag)) {
      process.stderr.write(`${service} backup: unexpected ${JSON.stringify(flag)}\n${usage}`);
      return 2;
    }
    values.set(flag, value);
  }
  const db = values.get('--db');
  const out = values.get('--out');
  if (db === undefined || out === undefined) {
    process.stderr.write(usage);
    return 2;
  }
  try {
    const report = await backupSqlite(db, out);
    write(`${JSON.stringify({ out, bytes: report.bytes, ms: report.ms })}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${service} backup: ${(error as Error).message}\n`);
    return 1;
  }
}
