/**
 * Key-transparency server benchmark on PostgreSQL (issue 15): the
 * sequencer's throughput on PgKtStore (the leader's own enqueues, and
 * enqueues through a second, following instance: NOTIFY → leader batch →
 * follower follow), the index rebuild from PostgreSQL, and searches over
 * HTTP on two instances sharing the database. scripts/bench/kt-server.ts
 * is the SQLite counterpart (same fill, same measures).
 *
 *   npx tsx scripts/bench/kt-server-pg.ts --postgres postgres://postgres@127.0.0.1:5432/postgres \
 *     [--accounts 100000] [--entries 10000] [--real 400] [--threads 2] [--seconds 10]
 *
 * A fresh database is created on that server and dropped at the end. The
 * `--accounts` filler leaves (random search keys — VRF outputs are uniform —
 * and real commitments) are written straight into kt_versions in entry 0,
 * followed by `--entries` − 1 heartbeat entries and a signed checkpoint.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  MemoryLeafStore,
  PrefixTree,
  accountLabel,
  computeCommitment,
  encodeIdentityValue,
  encodeLogEntry,
  ed25519NoteSigner,
  signCheckpoint,
  treeRoot,
  uuidString,
} from '../../packages/keytrans/src/index.ts';
import { randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { PostgresKeyStore, buildKeyServer } from '../../services/keyserver/src/index.ts';
import { KtLog, type KtLogSettings } from '../../services/keyserver/src/kt/kt-log.ts';
import { ktOriginSuffix } from '../../services/keyserver/src/kt/kt-config.ts';
import { PgKtStore } from '../../services/keyserver/src/kt/pg-kt-store.ts';
import { PgKtCluster } from '../../services/keyserver/src/kt/pg-kt-cluster.ts';
import { searchLabel } from '../../services/keyserver/src/kt/kt-search.ts';

const { values } = parseArgs({
  options: {
    postgres: { type: 'string' },
    accounts: { type: 'string', default: '100000' },
    entries: { type: 'string', default: '10000' },
    real: { type: 'string', default: '400' },
    threads: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
  },
});
if (values.postgres === undefined) throw new Error('--postgres <url> of a server where a database may be created');
const ACCOUNTS = Number(values.accounts);
const ENTRIES = Math.max(1, Number(values.entries));
const REAL = Number(values.real);
const THREADS = Number(values.threads);
const SECONDS = Number(values.seconds);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const ms = (t: number) => (performance.now() - t).toFixed(0);
const identity = () => encodeIdentityValue(Uint8Array.of(0x05, ...randomBytes(32)));

const server = new URL(values.postgres);
const name = `kt_bench_${randomBytes(6).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '')}`;
const admin = new pg.Client({ connectionString: server.href });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(server.href);
url.pathname = `/${name}`;

const vrfSecretKey = randomBytes(32);
const logNoteKey = randomBytes(32);
const settings: KtLogSettings = {
  vrfSecretKey,
  logNoteKey,
  origin: `bench.example/sealpost-kt/${ktOriginSuffix(vrfSecretKey, logNoteKey)}`,
  batchMs: 200,
  settleTimeoutMs: 600_000,
  leaderRetryMs: 200,
};
console.log(`kt-server-pg bench ${new Date().toISOString()} — ${ACCOUNTS} filler accounts, ${ENTRIES} entries, ${REAL} real accounts; load average ${load()}`);

try {
  // --- fill the database -----------------------------------------------------
  let t = performance.now();
  {
    const ks = await PostgresKeyStore.open({ url: url.href, statementTimeoutMs: 0 });
    const leaves: { key: Uint8Array; commitment: Uint8Array }[] = [];
    const buf = (b: Uint8Array) => Buffer.from(b);
    for (let start = 0; start < ACCOUNTS; start += 5000) {
      const cols: Buffer[][] = [[], [], [], [], [], []];
      for (let i = start; i < Math.min(ACCOUNTS, start + 5000); i++) {
        const label = accountLabel(uuidString(randomBytes(16)));
        const value = identity();
        const opening = randomBytes(16);
        const key = randomBytes(32);
        const commitment = computeCommitment(opening, label, 0, value);
        leaves.push({ key, commitment });
        [label, opening, value, randomBytes(80), key, commitment].forEach((v, c) => cols[c]!.push(buf(v)));
      }
      await ks.pool.query(
        `INSERT INTO kt_versions (label, version, position, opening, value, vrf_proof, search_key, commitment)
         SELECT l, 0, 0, o, v, p, k, c FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[]) AS u (l, o, v, p, k, c)`,
        cols,
      );
    }
    const root = PrefixTree.fromEntries(leaves).root;
    const log = new MemoryLeafStore();
    const first = Date.now() - ENTRIES * 10;
    for (let p = 0; p < ENTRIES; p++) log.append(encodeLogEntry({ timestamp: first + p * 10, prefixRoot: root }));
    await ks.pool.query('INSERT INTO kt_entries (position, timestamp_ms, prefix_root) SELECT p, $2::bigint + p * 10, $3 FROM generate_series(0, $1::bigint - 1) AS p', [
      ENTRIES,
      first,
      Buffer.from(root),
    ]);
    const note = signCheckpoint({ origin: settings.origin, size: ENTRIES, rootHash: treeRoot(log), extensions: [] }, ed25519NoteSigner(settings.origin, logNoteKey));
    await ks.pool.query('INSERT INTO kt_checkpoints (size, note) VALUES ($1, $2)', [ENTRIES, note]);
    await ks.pool.query('ANALYZE');
    await ks.close();
  }
  console.log(`filled the database in ${ms(t)} ms`);

  // --- 1. rebuild, 2. sequencer: leader enqueues, then a follower's -----------
  const open = async () => {
    const ks = await PostgresKeyStore.open({ url: url.href });
    const store = new PgKtStore(ks.pool);
    const cluster = new PgKtCluster({ connection: ks.pool.options, store, retryMs: 200 });
    return { ks, log: await KtLog.open({ ...settings, vrfThreads: THREADS, store, cluster }) };
  };
  t = performance.now();
  const a = await open();
  console.log(`rebuild (KtLog.open on PostgreSQL) with ${a.log.size} entries, ${ACCOUNTS} leaves: ${ms(t)} ms; leading ${a.log.leading}; load ${load()}`);
  const b = await open();
  console.log(`second instance open: leading ${b.log.leading}`);
  await a.log.enqueue([{ label: accountLabel(uuidString(randomBytes(16))), value: identity() }]); // warm-up
  for (const [who, log] of [
    ['the leader', a.log],
    ['a follower (NOTIFY → leader batch → follow)', b.log],
  ] as const) {
    const labels = Array.from({ length: REAL / 2 }, () => accountLabel(uuidString(randomBytes(16))));
    t = performance.now();
    const settled = await Promise.all(labels.map((label) => log.enqueue([{ label, value: identity() }])));
    const elapsed = performance.now() - t;
    if (!settled.every((s) => s.sequenced)) throw new Error('not all sequenced');
    console.log(
      `sequencer on PostgreSQL, ${THREADS} VRF worker threads, enqueued on ${who}: ${labels.length} new accounts in ${elapsed.toFixed(0)} ms = ${((labels.length / elapsed) * 1000).toFixed(0)} accounts/s, ${new Set(settled.map((s) => s.position)).size} entries; load ${load()}`,
    );
  }
  // In-process search cost on a follower (no HTTP: the PostgreSQL read and the proof), next-version proofs cached by a first pass.
  const logged = (await a.ks.pool.query<{ label: Buffer }>('SELECT label FROM kt_versions WHERE position > 0 LIMIT 200')).rows.map((r) => new Uint8Array(r.label));
  for (const label of logged) await searchLabel(b.log, label, undefined);
  t = performance.now();
  for (let i = 0; i < 1000; i++) await searchLabel(b.log, logged[i % logged.length]!, undefined);
  const each = (performance.now() - t) / 1000;
  console.log(`search answer in process on a follower (no HTTP, one PostgreSQL read): ${each.toFixed(2)} ms each = ${(1000 / each).toFixed(0)}/s sequentially; load ${load()}`);
  await b.log.close();
  await b.ks.close();
  await a.log.close();
  await a.ks.close();

  // --- 3. searches over HTTP, two instances on the database ---------------------
  const apps = [];
  for (let i = 0; i < 2; i++) {
    const app = await buildKeyServer({ databaseUrl: url.href, docs: false, keyTransparency: { ...settings, vrfThreads: 0 }, settings: { ktSearchRateLimit: false } });
    apps.push({ app, url: await app.listen({ host: '127.0.0.1', port: 0 }) });
  }
  const labels: Uint8Array[] = [];
  const c = new pg.Client({ connectionString: url.href });
  await c.connect();
  for (const r of (await c.query<{ label: Buffer }>('SELECT label FROM kt_versions WHERE position > 0 LIMIT $1', [REAL])).rows) labels.push(new Uint8Array(r.label));
  await c.end();
  const bodies = labels.map((label) => JSON.stringify({ label: toBase64(label) }));
  t = performance.now();
  for (const [n, body] of bodies.entries()) {
    const res = await fetch(`${apps[n % 2]!.url}/v1/kt/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (res.status !== 200) throw new Error(`search ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  console.log(`first search of each of ${bodies.length} labels (next-version VRF proof proved and cached): ${((performance.now() - t) / bodies.length).toFixed(1)} ms each`);
  const requests = bodies.map((body) => ({ method: 'POST', path: '/v1/kt/search', headers: { 'content-type': 'application/json' }, body }));
  const results = await Promise.all(
    apps.map((s) => autocannon({ url: s.url, connections: 5, duration: SECONDS, requests } as unknown as Parameters<typeof autocannon>[0])),
  );
  const total = results.reduce((s, r) => s + r.requests.average, 0);
  console.log(
    `searches over HTTP, 2 instances (autocannon, 5 connections each, ${SECONDS} s, same process): ${total.toFixed(0)} req/s together (${results.map((r) => r.requests.average.toFixed(0)).join(' + ')}), p50 ${results.map((r) => r.latency.p50).join('/')} ms, p99 ${results.map((r) => r.latency.p99).join('/')} ms, ${results.reduce((s, r) => s + r.non2xx + r.errors, 0)} non-2xx/errors; load ${load()}`,
  );
  for (const s of apps) await s.app.close();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
