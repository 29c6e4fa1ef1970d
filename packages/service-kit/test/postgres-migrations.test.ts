import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../../tools/devkit/src/postgres.ts';
import { SchemaTooNewError, migratePostgres, openPgPool, pgSchemaVersion, withPgTransaction, type PgMigration } from '../src/postgres.ts';

const steps: PgMigration[] = [
  { version: 1, name: 'things', up: 'CREATE TABLE things (id integer PRIMARY KEY, label text NOT NULL)' },
  { version: 2, name: 'seed', up: "INSERT INTO things VALUES (1, 'one')" },
  { version: 3, name: 'column', up: async (client) => void (await client.query('ALTER TABLE things ADD COLUMN extra integer NOT NULL DEFAULT 0')) },
];

describe.runIf(postgresAvailable())('PostgreSQL migrations (service kit)', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('applies each step once when eight instances migrate at the same moment', async () => {
    db = await createTestDatabase();
    const pools = Array.from({ length: 8 }, () => openPgPool({ url: db!.url, maxConnections: 2 }));
    try {
      const reports = await Promise.all(pools.map((pool) => migratePostgres(pool, steps, { component: 'demo' })));
      expect(reports.flatMap((r) => r.applied).sort()).toEqual([1, 2, 3]);
      expect(reports.every((r) => r.to === 3)).toBe(true);
      const rows = await pools[0]!.query('SELECT id, label, extra FROM things');
      expect(rows.rows).toEqual([{ id: 1, label: 'one', extra: 0 }]);
      expect(await pgSchemaVersion(pools[0]!, 'demo')).toBe(3);
      // Run again: nothing to do.
      expect((await migratePostgres(pools[1]!, steps, { component: 'demo' })).applied).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('keeps the last complete version when a step fails, and refuses a database newer than the code', async () => {
    db = await createTestDatabase();
    const pool = openPgPool({ url: db.url });
    try {
      const broken: PgMigration[] = [steps[0]!, { version: 2, name: 'bad', up: 'INSERT INTO things VALUES (1, NULL)' }];
      await expect(migratePostgres(pool, broken, { component: 'demo' })).rejects.toThrow(/null value/);
      expect(await pgSchemaVersion(pool, 'demo')).toBe(1);
      await migratePostgres(pool, steps, { component: 'demo' });
      await expect(migratePostgres(pool, steps.slice(0, 2), { component: 'demo' })).rejects.toBeInstanceOf(SchemaTooNewError);
      // Components are independent.
      expect(await pgSchemaVersion(pool, 'other')).toBe(0);
    } finally {
      await pool.end();
    }
  });

  it('rolls a transaction back on error and applies the statement timeout', async () => {
    db = await createTestDatabase();
    const pool = openPgPool({ url: db.url, statementTimeoutMs: 200 });
    try {
      await pool.query('CREATE TABLE t (x integer)');
      await expect(
        withPgTransaction(pool, async (c) => {
          await c.query('INSERT INTO t VALUES (1)');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows[0]).toEqual({ n: 0 });
      await expect(pool.query('SELECT pg_sleep(2)')).rejects.toThrow(/statement timeout/);
    } finally {
      await pool.end();
    }
  });
});
