import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

/**
 * The protocol's primitives have two backends behind `#primitives-backend`
 * (packages/protocol/package.json `imports`): node:crypto under the `node`
 * condition, @noble/* + getRandomValues under `sealpost-web`/`browser`/
 * `default`. The `node` project runs every test with the node backend; the
 * `web-primitives` project runs the vector, interop and primitive suites a
 * second time with `sealpost-web` forced. Node-environment tests resolve
 * through Vite's SSR environment, so the condition goes in
 * `ssr.resolve.conditions` (checked: top-level `resolve.conditions` alone
 * leaves the node backend selected). Setting them replaces Vite's defaults,
 * so the defaults are added back, taken from the vite that vitest loads.
 */
const vite = (await import(createRequire(createRequire(import.meta.url).resolve('vitest/package.json')).resolve('vite'))) as { defaultServerConditions: readonly string[] };
const webConditions = ['sealpost-web', ...vite.defaultServerConditions];
/**
 * With a PostgreSQL test server named (SEALPOST_TEST_POSTGRES_URL, see
 * tools/devkit/src/postgres.ts), the key server and relay suites run a second
 * time with every service store on PostgreSQL (`SEALPOST_TEST_SERVICE_STORE=postgres`,
 * read by each service's test support). Suites about SQLite itself (its file,
 * its disk-full error) are listed in `sqliteOnlySuites`.
 */
const postgresUrl = process.env.SEALPOST_TEST_POSTGRES_URL;
const postgresServiceSuites = ['services/keyserver/test/**/*.test.ts', 'services/relay/test/**/*.test.ts'];
const sqliteOnlySuites: string[] = [
  // The relay's SQLite file on a full tmpfs: its reserve file, SQLITE_FULL and WAL reclaim (PostgreSQL's disk-full path, 53100, is tested on the store).
  'services/relay/test/disk-full.test.ts',
  // Key server: none. Its tests of SQLite itself (WAL file, migrations of old files, the
  // migration starting ids above existing devices) sit inside mixed suites and open their
  // SqliteKeyStore explicitly, so they pass unchanged in this project too.
];
/**
 * Suites that choose their backends themselves, so the `node` project already runs them on
 * PostgreSQL (when SEALPOST_TEST_POSTGRES_URL is set); running them here again would only
 * repeat that: the key store's contract suites (describe.each over both store factories) and
 * the multi-instance and PostgreSQL-store suites (PostgreSQL only).
 */
const ownBackendSuites = [
  'services/keyserver/test/store.test.ts',
  'services/keyserver/test/store-atomic.test.ts',
  'services/keyserver/test/multi-instance.test.ts',
  'services/keyserver/test/pg-store.test.ts',
  // Runs both backends itself (SQLite backup command; pg_dump / pg_restore).
  'services/keyserver/test/backup.test.ts',
  // Account deletion at the relay: both relay stores, chosen by the suite itself.
  'services/relay/test/account-deletion.test.ts',
];
const webBackendSuites = [
  'packages/protocol/test/vectors/**/*.test.ts',
  'packages/protocol/test/interop/**/*.test.ts',
  'packages/protocol/test/**/*interop*.test.ts',
  'packages/protocol/test/primitives/**/*.test.ts',
  // @sealpost/keytrans hashes and signs through the protocol's facade: its known answers again on the web backend
  'packages/keytrans/test/merkle-vectors.test.ts',
  'packages/keytrans/test/vrf.test.ts',
  'packages/keytrans/test/checkpoint-witness.test.ts',
  'packages/keytrans/test/generated-vectors.test.ts',
];

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'scripts/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One line when the PostgreSQL or browser suites are skipped; a failed run when the named PostgreSQL server is down.
    globalSetup: ['tools/devkit/src/machine-services-setup.ts'],
    projects: [
      { extends: true, test: { name: 'node' } },
      {
        // Not `extends: true`: that would merge the root `include` into this one.
        ssr: { resolve: { conditions: webConditions } },
        test: {
          name: 'web-primitives',
          include: webBackendSuites,
          env: { SEALPOST_EXPECT_PRIMITIVES_BACKEND: 'web' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      ...(postgresUrl
        ? [
            {
              test: {
                name: 'services-postgres',
                include: postgresServiceSuites,
                exclude: [...sqliteOnlySuites, ...ownBackendSuites],
                env: { SEALPOST_TEST_SERVICE_STORE: 'postgres' },
                testTimeout: 120_000,
                hookTimeout: 120_000,
                pool: 'forks' as const,
              },
            },
          ]
        : []),
    ],
  },
});
