import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backupSqlite } from '../src/sqlite-backup.ts';

/** A separate process committing (row, counter) pairs in one transaction each until killed. */
function startWriter(path: string) {
  const moduleDir = createRequire(import.meta.url).resolve('better-sqlite3');
  const code = `
    const Database = require(${JSON.stringify(moduleDir)});
    const db = new Database(${JSON.stringify(path)});
    db.pragma('busy_timeout = 5000');
    const insert = db.prepare('INSERT INTO t (pad) VALUES (randomblob(512))');
    const bump = db.prepare('UPDATE total SET n = n + 1');
    const step = db.transaction(() => { insert.run(); bump.run(); });
    let n = 0;
    (function loop() { for (let i = 0; i < 20; i++) step(); n += 20; if (n === 200) process.stdout.write('writing\\n'); setImmediate(loop); })();
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { child, started };
}

describe('SQLite online backup (service kit)', () => {
  it('copies a WAL database consistently while another process keeps committing, verified and 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-backup-'));
    const source = join(dir, 'live.db');
    const db = new Database(source);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB NOT NULL); CREATE TABLE total (n INTEGER NOT NULL); INSERT INTO total VALUES (0)');
    const insert = db.prepare('INSERT INTO t (pad) VALUES (randomblob(512))');
    const bump = db.prepare('UPDATE total SET n = n + 1');
    db.transaction(() => {
      for (let i = 0; i < 4_000; i++) {
        insert.run();
        bump.run();
      }
    })();
    const writer = startWriter(source);
    try {
      await writer.started;
      const destination = join(dir, 'backup.db');
      const report = await backupSqlite(source, destination);
      // The writer went on meanwhile (it was never blocked).
      const before = (db.prepare('SELECT n FROM total').get() as { n: number }).n;
      await new Promise((r) => setTimeout(r, 100));
      expect((db.prepare('SELECT n FROM total').get() as { n: number }).n).toBeGreaterThan(before);
      expect(report.bytes).toBeGreaterThan(4_000 * 512);
      expect(statSync(destination).mode & 0o777).toBe(0o600);
      const copy = new Database(destination, { readonly: true });
      const rows = (copy.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
      const counted = (copy.prepare('SELECT n FROM total').get() as { n: number }).n;
      copy.close();
      expect(rows).toBeGreaterThan(4_200);
      expect(counted).toBe(rows); // one consistent moment: never a row without its counter
      await expect(backupSqlite(source, destination)).rejects.toThrow(/never overwrites/);
    } finally {
      writer.child.kill('SIGKILL');
      db.close();
    }
  });

  it('refuses a file that is not a database and leaves no copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-backup-'));
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all, just text'.repeat(200));
    await expect(backupSqlite(junk, join(dir, 'out.db'))).rejects.toThrow();
    expect(() => statSync(join(dir, 'out.db'))).toThrow();
    await expect(backupSqlite(join(dir, 'missing.db'), join(dir, 'out2.db'))).rejects.toThrow(/no database/);
  });
});
