/**
 * When the relay's PostgreSQL suites run: with a test server named
 * (`SEALPOST_TEST_POSTGRES_URL`), in the `services-postgres` vitest project
 * only — the relay's test files run in both projects, and these need
 * PostgreSQL whatever the store, so they run once.
 */
import { postgresAvailable } from '@sealpost/devkit/postgres';

/** True in the run that owns the relay's PostgreSQL suites. */
export function relayPostgresSuites(): boolean {
  return postgresAvailable() && process.env.SEALPOST_TEST_SERVICE_STORE === 'postgres';
}
