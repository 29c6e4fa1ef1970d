/**
 * Vitest global set-up for the suites that need a machine service: one line
 * when the PostgreSQL suites (postgres.ts) or the browser suites (chromium.ts)
 * are skipped; a failed run when a PostgreSQL server is named but down.
 */
import { chromiumAvailable, chromiumPath } from './chromium.ts';
import { checkTestPostgres, testPostgresUrl, TEST_POSTGRES_ENV } from './postgres.ts';

export default async function setup(): Promise<void> {
  const url = testPostgresUrl();
  // Vitest runs the set-up once per project that inherits it; say it once.
  const said = globalThis as { __sealpostPostgresSetup?: boolean };
  if (said.__sealpostPostgresSetup === true) return;
  said.__sealpostPostgresSetup = true;
  if (!chromiumAvailable()) console.log(`Browser suites skipped: no Chromium at ${chromiumPath()} (.ci/run installs Debian's chromium).`);
  if (url === undefined) {
    console.log(`PostgreSQL suites skipped: ${TEST_POSTGRES_ENV} is not set (.ci/run sets it; see README "Tests").`);
    return;
  }
  await checkTestPostgres(url);
}
