/**
 * Key server benchmark: prekey-bundle fetches per second and p50/p99 latency
 * over loopback, beside a Fastify hello-world measured the same way in the
 * same run. Each server runs in its own child process; autocannon drives it
 * from this process.
 *
 *   npx tsx scripts/bench/keyserver.ts [--duration 5] [--rounds 3] [--connections 50] [--db file|memory]
 *
 * The three servers run side by side (idle when not measured) and are
 * measured round-robin, `rounds` times each; the median round is reported,
 * so a burst of unrelated load on the machine skews one round, not a case.
 *
 * Two key-server cases, reported separately because they do different work:
 * - last-resort: no one-time keys left; each fetch reads the signed prekey
 *   and the last-resort Kyber key (the steady state of a drained device).
 * - one-time: enough one-time keys preloaded that every fetch consumes one EC
 *   and one Kyber key (fetches of one event-loop turn share one write
 *   transaction and one DELETE … RETURNING per key kind).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startTarget as startTargetProcess } from './target-process.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    db: { type: 'string', default: 'file' },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const dir = mkdtempSync(join(tmpdir(), 'keyserver-bench-'));

interface Target {
  url: string;
  path: string;
  auth?: string;
  stop(): Promise<string>;
}

const startTarget = (args: string[]) => startTargetProcess<{ url: string; path: string; auth?: string }>('keyserver-target.ts', args);

interface Measured {
  name: string;
  /** Requests in the warm-up and the measured run (for CPU per request). */
  served: number;
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
}

async function measure(name: string, t: Target): Promise<Measured> {
  const headers: Record<string, string> = t.auth === undefined ? {} : { authorization: t.auth };
  // Short warm-up so JIT and SQLite caches are hot before the measured run.
  const warm = await autocannon({ url: t.url + t.path, connections, duration: 2, headers });
  const r = await autocannon({ url: t.url + t.path, connections, duration, headers });
  return {
    name,
    served: warm.requests.total + r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

const dbPath = () => (values.db === 'memory' ? ':memory:' : join(dir, `ks-${Math.random().toString(36).slice(2)}.db`));
const results: Measured[] = [];
const cpuPerRequest = new Map<string, number>();
const loadBefore = loadavg()[0]!;
try {
  // Enough one-time keys for ~40k fetches/s over every warm-up and run; the leftover count is reported.
  const preload = Math.ceil(40_000 * (duration + 2) * rounds);
  const targets: [string, Target][] = [
    ['fastify hello-world', await startTarget(['hello'])],
    ['bundle fetch, last-resort path', await startTarget(['keyserver', '0', dbPath()])],
    ['bundle fetch, one-time-key path', await startTarget(['keyserver', String(preload), dbPath()])],
  ];
  const runs = new Map<string, Measured[]>();
  for (let r = 0; r < rounds; r++) {
    for (const [name, t] of targets) {
      const m = await measure(name, t);
      runs.set(name, [...(runs.get(name) ?? []), m]);
      console.log(`round ${r + 1}: ${name}: ${m.rps.toFixed(0)} req/s`);
    }
  }
  for (const [name] of targets) {
    const sorted = [...runs.get(name)!].sort((a, b) => a.rps - b.rps);
    results.push(sorted[Math.floor(sorted.length / 2)]!);
  }
  for (const [name, t] of targets) {
    const err = await t.stop();
    const left = JSON.parse(err.trim().split('\n').pop() || '{}') as { cpuMicros?: number; left?: { ec: number; kyber: number } };
    const served = runs.get(name)!.reduce((n, m) => n + m.served, 0);
    if (left.cpuMicros !== undefined) cpuPerRequest.set(name, left.cpuMicros / served);
    if (name.includes('one-time') && left.left !== undefined) {
      console.log(
        `one-time keys: preloaded ${preload} of each kind, ${left.left.ec} EC / ${left.left.kyber} Kyber left after all rounds` +
          (left.left.kyber === 0 ? ' (ran out: some fetches were last-resort)' : ' (every fetch consumed one of each)'),
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const hello = results[0]!;
console.log(
  `\nloopback, ${connections} connections, median of ${rounds} rounds of ${duration} s, db=${values.db}, node ${process.version}, ` +
    `load average ${loadBefore.toFixed(1)} before / ${loadavg()[0]!.toFixed(1)} after (other load skews both servers)\n`,
);
const helloCpu = cpuPerRequest.get(hello.name) ?? NaN;
console.log('case                                req/s     p50 ms  p99 ms  requests  non-2xx  ratio   server CPU µs/req  1-core capacity  ratio');
for (const r of results) {
  const cpu = cpuPerRequest.get(r.name) ?? NaN;
  console.log(
    `${r.name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(9)} ${String(r.p99).padStart(7)} ${String(r.total).padStart(9)} ${String(r.non2xx + r.errors).padStart(8)}  ${(r.rps / hello.rps).toFixed(2)}×` +
      `   ${cpu.toFixed(1).padStart(12)}   ${(1e6 / cpu).toFixed(0).padStart(10)}/s     ${(helloCpu / cpu).toFixed(2)}×`,
  );
}
console.log('\n(req/s and latency: measured throughput, median round. CPU µs/req: the server process\'s user+system time per request\n over all its rounds incl. warm-up; 1-core capacity = 1e6 / that — what one core could serve were it not shared with\n the load generator and other processes.)');
