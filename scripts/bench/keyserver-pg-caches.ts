/**
 * What a device-credential cache would buy a key server on PostgreSQL — the
 * measurement behind "no authorization cache on PostgreSQL" (services/keyserver/README.md,
 * "Several instances").
 *
 *   SEALPOST_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     npx tsx scripts/bench/keyserver-pg-caches.ts [--seconds 3] [--rounds 3] [--concurrency 50]
 *
 * Three apps in this process, driven with `inject` (no sockets, so the
 * numbers are the app's and the store's work), round-robin, median round:
 * - sqlite: SqliteKeyStore (credentials cached in memory),
 * - postgres: PostgresKeyStore as shipped (credentials read on every request),
 * - postgres+cache: the same with every credential read answered from a map
 *   after the first — the best case of a LISTEN/NOTIFY-invalidated cache (a
 *   hit every time, invalidation free).
 * Two routes: `GET /v1/accounts/whoami` (authentication only) and
 * `GET /v1/keys/:account/1` on a drained target (authentication, target
 * check, rate-limit take, bundle read).
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { createTestDatabase } from '../../tools/devkit/src/postgres.ts';
import { randomBytes } from '@sealpost/protocol/primitives';
import { basicAuthHeader, buildKeyServer, hashDeviceSecret, PostgresKeyStore, SqliteKeyStore, type KeyStore } from '@sealpost/keyserver';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '50' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);

/** A credential cache in front of `store` that always hits after the first read. */
function withCredentialCache(store: PostgresKeyStore): KeyStore {
  const cache = new Map<string, Awaited<ReturnType<KeyStore['deviceCredentials']>>>();
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'deviceCredentials') {
        return async (accountId: string, deviceId: number) => {
          const k = `${accountId}.${deviceId}`;
          if (!cache.has(k)) cache.set(k, await target.deviceCredentials(accountId, deviceId));
          return cache.get(k);
        };
      }
      const v = Reflect.get(target, name, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function setUp(store: KeyStore) {
  const app = await buildKeyServer({ store, closeStore: false, docs: false, settings: { bundleRateLimit: { burst: 1e9, refillMs: 1 }, bundleTargetBudget: false } });
  const secret = randomBytes(32);
  const sig = new Uint8Array(64);
  const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
  for (const accountId of ids) {
    await store.createAccount({
      accountId,
      identityKey: Uint8Array.of(5, ...randomBytes(32)),
      registrationId: 1,
      secretHash: hashDeviceSecret(secret),
      now: Date.now(),
      initialKeys: { signedPreKey: { keyId: 1, publicKey: Uint8Array.of(5, ...randomBytes(32)), signature: sig }, pqLastResortPreKey: { keyId: 2, publicKey: new Uint8Array(1569), signature: sig } },
    });
  }
  return { app, auth: basicAuthHeader(ids[0]!, 1, secret), target: ids[1]! };
}

type Case = Awaited<ReturnType<typeof setUp>> & { name: string };

async function measure(c: Case, url: string): Promise<number> {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const res = await c.app.inject({ method: 'GET', url, headers: { authorization: c.auth } });
        if (res.statusCode !== 200) throw new Error(`${c.name} ${url}: ${res.statusCode} ${res.body}`);
        done++;
      }
    }),
  );
  return done / seconds;
}

const db = await createTestDatabase('ks_bench');
const pgPlain = await PostgresKeyStore.open({ url: db.url });
const pgCached = await PostgresKeyStore.open({ url: db.url });
const sqlite = new SqliteKeyStore(':memory:');
const cases: Case[] = [
  { name: 'sqlite', ...(await setUp(sqlite)) },
  { name: 'postgres', ...(await setUp(pgPlain)) },
];
// The cached case shares the postgres case's accounts (same database).
cases.push({ ...cases[1]!, name: 'postgres+cache', app: await buildKeyServer({ store: withCredentialCache(pgCached), closeStore: false, docs: false, settings: { bundleRateLimit: { burst: 1e9, refillMs: 1 }, bundleTargetBudget: false } }) });

console.log(`load average before: ${loadavg()[0]!.toFixed(1)}; ${rounds} rounds × ${seconds} s, ${concurrency} concurrent requests`);
for (const route of ['whoami', 'bundle'] as const) {
  const results = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const url = route === 'whoami' ? '/v1/accounts/whoami' : `/v1/keys/${c.target}/1`;
      results.set(c.name, [...(results.get(c.name) ?? []), await measure(c, url)]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(results.get('postgres')!);
  console.log(`\n${route}:`);
  for (const [name, xs] of results) console.log(`  ${name.padEnd(15)} ${median(xs).toFixed(0).padStart(7)} req/s  (${(median(xs) / base).toFixed(2)}× postgres)`);
}
console.log(`\nload average after: ${loadavg()[0]!.toFixed(1)}`);
for (const c of cases) await c.app.close();
await sqlite.close();
await pgPlain.close();
await pgCached.close();
await db.drop();
