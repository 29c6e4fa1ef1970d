/**
 * Key server benchmark: prekey-bundle fetches per second and p50/p99 latency
 * over loopback, beside a Fastify hello-world measured the same way in the
 * same run. Each server runs in its own child process; autocannon drives it
 * from this process.
 *
 *   npx tsx scripts/bench/keyserver.ts [--duration 10] [--connections 50] [--db file|memory]
 *
 * Two key-server cases, reported separately because they do different work:
 * - last-resort: no one-time keys left; each fetch reads the signed prekey
 *   and the last-resort Kyber key (the steady state of a drained device).
 * - one-time: enough one-time keys preloaded that every fetch consumes one EC
 *   and one Kyber key (DELETE … RETURNING, a write transaction per fetch).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    db: { type: 'string', default: 'file' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const dir = mkdtempSync(join(tmpdir(), 'keyserver-bench-'));

interface Target {
  url: string;
  path: string;
  auth?: string;
  stop(): Promise<string>;
}

function startTarget(args: string[]): Promise<Target> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TSX, [join(ROOT, 'scripts/bench/keyserver-target.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`target exited (${code}): ${err}`));
    });
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const info = JSON.parse(out.slice(0, nl)) as { url: string; path: string; auth?: string };
      resolvePromise({
        ...info,
        stop: () =>
          new Promise((r) => {
            child.on('exit', () => r(err));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

interface Measured {
  name: string;
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
  await autocannon({ url: t.url + t.path, connections, duration: 2, headers });
  const r = await autocannon({ url: t.url + t.path, connections, duration, headers });
  return {
    name,
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
const loadBefore = loadavg()[0]!;
try {
  const hello = await startTarget(['hello']);
  results.push(await measure('fastify hello-world', hello));
  await hello.stop();

  const drained = await startTarget(['keyserver', '0', dbPath()]);
  results.push(await measure('bundle fetch, last-resort path', drained));
  await drained.stop();

  // Enough one-time keys for ~25k fetches/s over warm-up + run; the leftover count is reported.
  const preload = Math.ceil(25_000 * (duration + 2));
  const fresh = await startTarget(['keyserver', String(preload), dbPath()]);
  const m = await measure('bundle fetch, one-time-key path', fresh);
  const left = JSON.parse((await fresh.stop()).trim().split('\n').pop() ?? '{}') as { left?: { ec: number; kyber: number } };
  results.push(m);
  if (left.left !== undefined) {
    console.log(`one-time keys: preloaded ${preload} of each kind, ${left.left.ec} EC / ${left.left.kyber} Kyber left after the run${left.left.kyber === 0 ? ' (ran out: some fetches were last-resort)' : ''}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const hello = results[0]!;
console.log(
  `\nloopback, ${connections} connections, ${duration} s per case, db=${values.db}, node ${process.version}, ` +
    `load average ${loadBefore.toFixed(1)} before / ${loadavg()[0]!.toFixed(1)} after (other load skews both servers)\n`,
);
console.log('case                                req/s     p50 ms  p99 ms  requests  non-2xx  ratio vs hello');
for (const r of results) {
  console.log(
    `${r.name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(9)} ${String(r.p99).padStart(7)} ${String(r.total).padStart(9)} ${String(r.non2xx + r.errors).padStart(8)}   ${(r.rps / hello.rps).toFixed(2)}×`,
  );
}
