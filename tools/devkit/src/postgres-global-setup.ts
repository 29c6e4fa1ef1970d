/**
 * Vitest global set-up for the PostgreSQL suites (see postgres.ts): one line
 * when they are skipped; a failed run when the server is named but down.
 */
import { checkTestPostgres, testPostgresUrl, TEST_POSTGRES_ENV } from './postgres.ts';

export default async function setup(): Promise<void> {
  const url = testPostgresUrl();
  // Vitest runs the set-up once per project that inherits it; say it once.
  const said = globalThis as { __sealpostPostgresSetup?: boolean };
  if (said.__sealpostPostgresSetup === true) return;
  said.__sealpostPostgresSetup = true;
  if (url === undefined) {
    console.log(`PostgreSQL suites skipped: ${TEST_POSTGRES_ENV} is not set (.ci/run sets it; see README "Tests").`);
    return;
  }
  await checkTestPostgres(url);
}
