/**
 * `@sealpost/devkit/postgres`: PostgreSQL for tests.
 *
 * The PostgreSQL suites run when `SEALPOST_TEST_POSTGRES_URL` names a server
 * (`.ci/run` sets it to the machine's 127.0.0.1:5432); without it they are
 * skipped, and the global set-up (machine-services-setup.ts) prints one line
 * saying so. If the variable is set but the server does not answer, the
 * global set-up fails the run loudly instead of skipping.
 *
 * Every test gets its own database (`createTestDatabase`), created from the
 * server's template and dropped (WITH (FORCE)) when the test is done, so
 * suites and instances never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The variable that names the test server, e.g. postgres://postgres@127.0.0.1:5432/postgres. */
export const TEST_POSTGRES_ENV = 'SEALPOST_TEST_POSTGRES_URL';

/** The test server's URL, or undefined when the PostgreSQL suites are to be skipped. */
export function testPostgresUrl(): string | undefined {
  const url = process.env[TEST_POSTGRES_ENV];
  return url === undefined || url === '' ? undefined : url;
}

/** True when the PostgreSQL suites run (use as `describe.runIf(postgresAvailable())`). */
export function postgresAvailable(): boolean {
  return testPostgresUrl() !== undefined;
}

/** A database made for one test. */
export interface TestDatabase {
  /** Connection URL of the new database. */
  readonly url: string;
  /** Its name. */
  readonly name: string;
  /** Drops it, terminating any connection still open (idempotent). */
  drop(): Promise<void>;
}

function requireUrl(): string {
  const url = testPostgresUrl();
  if (url === undefined) throw new Error(`${TEST_POSTGRES_ENV} is not set: the PostgreSQL suites should have been skipped`);
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: requireUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, empty database on the test server. Names are random
 * (`sealpost_t_<hex>`), so parallel test files never collide.
 */
export async function createTestDatabase(prefix = 'sealpost_t'): Promise<TestDatabase> {
  const base = requireUrl();
  if (!/^[a-z_][a-z0-9_]{0,30}$/.test(prefix)) throw new Error(`bad database prefix ${prefix}`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    url: withDatabase(base, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Checks that the test server answers; rejects with a clear message if it does not. */
export async function checkTestPostgres(url: string, timeoutMs = 5_000): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    const result = await client.query<{ version: string }>('SHOW server_version');
    return result.rows[0]?.version ?? 'unknown';
  } catch (error) {
    throw new Error(`${TEST_POSTGRES_ENV}=${url} is set but PostgreSQL does not answer: ${(error as Error).message}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
