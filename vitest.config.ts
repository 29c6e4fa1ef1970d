import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

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
 * tools/devkit/src/postgres.ts), the key server, relay and witness suites run a second
 * time with every service store on PostgreSQL (`SEALPOST_TEST_SERVICE_STORE=postgres`,
 * read by each service's test support). Suites about SQLite itself (its file,
 * its disk-full error) are listed in `sqliteOnlySuites`.
 */
const postgresUrl = process.env.SEALPOST_TEST_POSTGRES_URL;
const postgresServiceSuites = ['services/keyserver/test/**/*.test.ts', 'services/relay/test/**/*.test.ts', 'services/witness/test/**/*.test.ts'];
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
  // The relay's the same way: the envelope-store contract, shared payloads and the access-key cache
  // run over STORE_BACKENDS (SQLite and PostgreSQL, support/store-backends.ts); the shared send
  // budgets make their own PostgreSQL database and pass it to every relay they start.
  'services/relay/test/store.test.ts',
  'services/relay/test/shared-payloads.test.ts',
  'services/relay/test/caches.test.ts',
  'services/relay/test/shared-limits.test.ts',
  // The witness's SQLite schema takeover and its two-instances-on-PostgreSQL suite choose their backends themselves.
  'services/witness/test/multi-instance.test.ts',
];
/**
 * Suites that never open a store of any kind (start-up config parsing, the cluster-notice codec):
 * the same code runs whatever SEALPOST_TEST_SERVICE_STORE says, so a PostgreSQL run repeats them
 * to no purpose. (Their `--database-url` parsing cases run in the `node` project.)
 */
const storelessSuites = [
  'services/relay/test/config.test.ts',
  'services/relay/test/notice-codec.test.ts',
  'services/keyserver/test/start-config.test.ts',
  'services/witness/test/config.test.ts',
];
/**
 * Workers. Vitest's own default in `run` mode is availableParallelism() - 1: ONE worker on the
 * 2-core CI machine, so every file ran after the other although most of them spend their time
 * waiting on a relay child process, a socket, PostgreSQL or Chromium (docs/test-suite.md has the
 * measurements). At least two, then one per core.
 */
const workers = Math.max(2, availableParallelism());
/**
 * Suites that assert a wall-clock bound on the relay or a client (a delivery p99 in ms, "refused
 * within 4 s", a drain deadline, a flood cut off in 15 s) sized for a busy but single-test machine.
 * They run in a second group (`sequence.groupOrder: 1`) after everything else, one file at a time,
 * as the whole suite did before, so no other test file competes with them for the two cores.
 * Suites that bound CPU time (read from /proc) or memory, not wall time, run in parallel.
 */
const wallClockSuites = [
  'services/relay/test/scale-out.test.ts', // p99 delivery across instances < 100 ms
  'services/relay/test/slow-readers.test.ts', // p99 to a good reader < 250 ms beside 100 stalled sockets
  'services/relay/test/cluster-notices.test.ts', // every push within 500 ms
  'services/relay/test/keyserver-down.test.ts', // 503 within 1.5 s / 2.5 s
  'services/relay/test/device-removal.test.ts', // refused everywhere within 4 s
  'services/relay/test/drain.test.ts', // forced exit within 5 s
  'services/relay/test/frame-flood.test.ts', // flood cut off within 15 s
  'packages/protocol/test/session/decrypt-work.test.ts', // bounded decrypt work, wall < 8 s
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
    maxWorkers: workers,
    // One line when the PostgreSQL or browser suites are skipped; a failed run when the named PostgreSQL server is down.
    globalSetup: ['tools/devkit/src/machine-services-setup.ts'],
    projects: [
      { extends: true, test: { name: 'node', exclude: [...configDefaults.exclude, ...wallClockSuites] } },
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
          maxWorkers: workers,
        },
      },
      {
        test: {
          name: 'node-wall-clock',
          include: wallClockSuites,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      ...(postgresUrl
        ? [
            {
              test: {
                name: 'services-postgres',
                include: postgresServiceSuites,
                exclude: [...configDefaults.exclude, ...sqliteOnlySuites, ...ownBackendSuites, ...storelessSuites, ...wallClockSuites],
                env: { SEALPOST_TEST_SERVICE_STORE: 'postgres' },
                testTimeout: 120_000,
                hookTimeout: 120_000,
                pool: 'forks' as const,
                maxWorkers: workers,
              },
            },
            {
              test: {
                name: 'services-postgres-wall-clock',
                include: wallClockSuites.filter((suite) => suite.startsWith('services/keyserver/') || suite.startsWith('services/relay/')),
                exclude: [...configDefaults.exclude, ...sqliteOnlySuites, ...ownBackendSuites],
                env: { SEALPOST_TEST_SERVICE_STORE: 'postgres' },
                testTimeout: 120_000,
                hookTimeout: 120_000,
                pool: 'forks' as const,
                maxWorkers: 1,
                sequence: { groupOrder: 1 },
              },
            },
          ]
        : []),
    ],
  },
});
