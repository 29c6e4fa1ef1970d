/**
 * Scale-out benchmark (issue 16): the key server's bundle fetches per
 * second and the relay's envelopes per second (PUT → delivered over
 * WebSocket), each with 1 and 2 instances on PostgreSQL beside the SQLite
 * single instance, in one run; p50/p99; and single-envelope delivery
 * latency, across instances where there are two.
 *
 *   pnpm run bench:scale [--duration 5] [--connections 32] [--envelopes 8000]
 *        [--concurrency 32] [--recipients 20] [--latency-sample 200]
 *        [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Every case runs on a fresh database (PostgreSQL: created and dropped
 * here; SQLite: a temp file). Every load targets 127.0.0.1; the PostgreSQL
 * server must be on loopback too. Each case's instances are child processes;
 * the load generators run in this process, on the same (shared) cores, so
 * absolute numbers say little — compare the cases of one run. CPU per
 * 1,000 requests/envelopes is the services' own user+system time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTestDatabase, TEST_POSTGRES_ENV } from '@sealpost/devkit/postgres';
import { benchBundles, type BundleResult } from './scale-keyserver.ts';
import { benchRelay, type RelayCaseResult } from './scale-relay.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    envelopes: { type: 'string', default: '8000' },
    concurrency: { type: 'string', default: '32' },
    recipients: { type: 'string', default: '20' },
    'latency-sample': { type: 'string', default: '200' },
    'postgres-url': { type: 'string', default: process.env[TEST_POSTGRES_ENV] ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const int = (name: keyof typeof values, max: number): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer 1..${max}`);
  return n;
};
const duration = int('duration', 60);
const connections = int('connections', 256);
const relayOptions = { envelopes: int('envelopes', 100_000), concurrency: int('concurrency', 256), recipients: int('recipients', 500), latencySample: int('latency-sample', 5_000) };
const postgresUrl = values['postgres-url']!;
if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(postgresUrl).hostname)) throw new Error('the benchmark only loads a PostgreSQL server on loopback');
process.env[TEST_POSTGRES_ENV] = postgresUrl;

const CASES = [
  { name: 'SQLite, 1 instance', postgres: false, instances: 1 },
  { name: 'PostgreSQL, 1 instance', postgres: true, instances: 1 },
  { name: 'PostgreSQL, 2 instances', postgres: true, instances: 2 },
] as const;

/** Runs `fn` on a fresh database: a PostgreSQL URL, or undefined with a temp dir for SQLite. */
async function onDatabase<T>(postgres: boolean, fn: (url: string | undefined, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'scale-bench-'));
  const db = postgres ? await createTestDatabase('sealpost_bench') : undefined;
  try {
    return await fn(db?.url, dir);
  } finally {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');
const f1 = (n: number): string => n.toFixed(1);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');

console.log(`scale-out benchmark: node ${process.version}, load average ${load()}`);
const bundles: Array<[string, BundleResult]> = [];
for (const c of CASES) {
  const r = await onDatabase(c.postgres, (url, dir) =>
    benchBundles(url === undefined ? { kind: 'sqlite', path: join(dir, 'keyserver.db') } : { kind: 'postgres', url }, c.instances, { connections, duration }),
  );
  bundles.push([c.name, r]);
  console.log(`key server, ${c.name}: ${f0(r.rps)} bundle fetches/s, p50 ${r.p50} ms, p99 ${r.p99} ms (${r.failures} failures)`);
}
const relays: Array<[string, RelayCaseResult]> = [];
for (const c of CASES) {
  const r = await onDatabase(c.postgres, (url) => benchRelay(url, c.instances, relayOptions));
  relays.push([c.name, r]);
  const t = r.throughput;
  console.log(`relay, ${c.name}: ${f0(t.acceptedPerSecond)} accepted/s, ${f0(t.deliveredPerSecond)} delivered/s, e2e p99 ${f1(t.e2eP99)} ms, lost ${t.lost}`);
}

const baseBundles = bundles[0]![1].rps;
const baseRelay = relays[0]![1].throughput.deliveredPerSecond;
console.log(`\nload average after: ${load()}`);
console.log(`\nKey server: GET /v1/keys/:account/1 (last-resort path), ${connections} connections split over the instances, ${duration} s after a 2 s warm-up`);
console.log('| case | bundle fetches/s | vs SQLite | p50 / p99 ms (worst instance) | failures | key-server CPU s per 1k |');
console.log('|---|---|---|---|---|---|');
for (const [name, r] of bundles) {
  console.log(`| ${name} | ${f0(r.rps)} | ${(r.rps / baseBundles).toFixed(2)}× | ${r.p50} / ${r.p99} | ${r.failures} | ${r.cpuPerThousand.toFixed(3)} |`);
}
console.log(
  `\nRelay: ${relayOptions.envelopes} single-envelope PUTs (256 B) to ${relayOptions.recipients} devices on WebSockets, concurrency ${relayOptions.concurrency}; ` +
    `2 instances: devices and senders split, half the envelopes cross instances`,
);
console.log('| case | accepted/s | delivered/s (PUT → WebSocket) | vs SQLite | PUT p50 / p99 ms | end-to-end p50 / p99 ms | lost | duplicates | relay CPU s per 1k | single-envelope delivery p50 / p99 / max ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const [name, { throughput: t, latency: l }] of relays) {
  console.log(
    `| ${name} | ${f0(t.acceptedPerSecond)} | ${f0(t.deliveredPerSecond)} | ${(t.deliveredPerSecond / baseRelay).toFixed(2)}× | ${f1(t.putP50)} / ${f1(t.putP99)} | ` +
      `${f1(t.e2eP50)} / ${f1(t.e2eP99)} | ${t.lost} | ${t.duplicates} | ${t.cpuPerThousand.toFixed(3)} | ${f1(l.p50)} / ${f1(l.p99)} / ${f1(l.max)}${name.includes('2 instances') ? ' (A → B)' : ''} |`,
  );
}
const failed = relays.some(([, r]) => r.throughput.lost > 0 || r.throughput.refused > 0) || bundles.some(([, r]) => r.failures > 0);
process.exit(failed ? 1 : 0);
