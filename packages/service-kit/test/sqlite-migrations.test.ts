import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateSqlite, schemaVersion, SchemaTooNewError, sqlMigrations, type SqliteMigration } from '../src/sqlite-migrations.ts';

const dir = mkdtempSync(join(tmpdir(), 'kit-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const steps: SqliteMigration<Database.Database>[] = [
  { version: 1, name: 'things', up: 'CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' },
  { version: 2, name: 'seed', up: (db) => void db.prepare("INSERT INTO things (name) VALUES ('first')").run() },
  { version: 3, name: 'index', up: 'CREATE INDEX things_name ON things(name); ALTER TABLE things ADD COLUMN n INTEGER' },
];

describe('migrateSqlite', () => {
  it('applies pending steps in order, records user_version and applies nothing twice', () => {
    const path = join(dir, 'a.db');
    const a = new Database(path);
    const seen: number[] = [];
    expect(migrateSqlite(a, steps.slice(0, 2), { onApplied: (m) => void seen.push(m.version) })).toEqual({ from: 0, to: 2, applied: [1, 2] });
    expect(schemaVersion(a)).toBe(2);
    a.close();
    const b = new Database(path);
    expect(migrateSqlite(b, steps)).toEqual({ from: 2, to: 3, applied: [3] });
    expect(migrateSqlite(b, steps)).toEqual({ from: 3, to: 3, applied: [] });
    expect(b.prepare('SELECT name FROM things').pluck().all()).toEqual(['first']);
    expect(seen).toEqual([1, 2]);
    b.close();
  });

  it('rolls a failing step back whole and keeps the steps before it', () => {
    const db = new Database(':memory:');
    const broken = [...steps.slice(0, 2), { version: 3, name: 'half', up: "INSERT INTO things (name) VALUES ('x'); SELECT * FROM nowhere" }];
    expect(() => migrateSqlite(db, broken)).toThrow(/nowhere/);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT COUNT(*) FROM things').pluck().get()).toBe(1);
    expect(db.inTransaction).toBe(false);
    expect(migrateSqlite(db, steps).applied).toEqual([3]);
    db.close();
  });

  it('refuses a database newer than the code, and misnumbered steps', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 5');
    expect(() => migrateSqlite(db, steps)).toThrow(SchemaTooNewError);
    const fresh = new Database(':memory:');
    expect(() => migrateSqlite(fresh, [steps[0]!, steps[2]!])).toThrow(/expected 2/);
    expect(schemaVersion(fresh)).toBe(0);
    db.close();
    fresh.close();
  });

  it('takes plain SQL lists (entry i → version i + 1)', () => {
    const db = new Database(':memory:');
    const list = sqlMigrations(['CREATE TABLE a (x)', 'CREATE TABLE b (y)'], 'test');
    expect(list.map((m) => [m.version, m.name])).toEqual([[1, 'test v1'], [2, 'test v2']]);
    expect(migrateSqlite(db, list).applied).toEqual([1, 2]);
    db.close();
  });

  it('a second process that read the old version before the first migrated applies nothing twice', () => {
    const path = join(dir, 'race.db');
    const a = new Database(path);
    const b = new Database(path);
    const counted: SqliteMigration<Database.Database>[] = [
      ...steps,
      { version: 4, name: 'log', up: (db) => void db.exec('CREATE TABLE IF NOT EXISTS log (v); INSERT INTO log VALUES (4)') },
    ];
    // b has read user_version 0; a migrates everything just before b takes the write lock.
    let raced = false;
    const bRacing = {
      exec(sql: string) {
        if (sql === 'BEGIN IMMEDIATE' && !raced) {
          raced = true;
          expect(migrateSqlite(a, counted).applied).toEqual([1, 2, 3, 4]);
        }
        return b.exec(sql);
      },
      prepare: (sql: string) => b.prepare(sql),
    };
    expect(migrateSqlite(bRacing as unknown as Database.Database, counted)).toEqual({ from: 0, to: 4, applied: [] });
    expect(b.prepare('SELECT COUNT(*) FROM log').pluck().get()).toBe(1);
    expect(b.prepare('SELECT COUNT(*) FROM things').pluck().get()).toBe(1);
    a.close();
    b.close();
  });

  it('does not import fastify', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('../src/sqlite-migrations.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/from ['"]/);
  });
});
