import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../src/postgres.ts';

describe.runIf(postgresAvailable())('test databases (PostgreSQL)', () => {
  it('creates an empty, private database and drops it even with a connection open', async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
    expect(rows[0]!.name).toBe(db.name);
    await client.query('CREATE TABLE t (x int)');
    client.on('error', () => undefined); // the forced drop terminates this connection
    await db.drop();
    await db.drop();
    const admin = new pg.Client({ connectionString: process.env.SEALPOST_TEST_POSTGRES_URL });
    await admin.connect();
    const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
    await admin.end();
    expect(left.rowCount).toBe(0);
    await client.end().catch(() => undefined);
  });
});
