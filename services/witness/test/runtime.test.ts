/**
 * The production runtime over real HTTP, on this run's backend: /health,
 * /ready (store check, draining), Prometheus metrics (route patterns,
 * add-checkpoint outcomes), logs without client addresses, request
 * timeouts, and the per-address add-checkpoint rate limit (429 with
 * Retry-After; X-Forwarded-For believed only from a trusted proxy; IPv6 by /64).
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from '@sealpost/protocol/primitives';
import { MemoryAddressLimiter, clientAddressKey } from '../src/rate-limit.ts';
import { TestLog, addCheckpoint, startWitness, testBackend, type RunningWitness } from './support/harness.ts';

const now = (): number => 1_800_000_000;
const running: RunningWitness[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.close()));
});

async function witnessFor(log: TestLog, extra: Partial<Parameters<typeof startWitness>[0]> = {}): Promise<RunningWitness> {
  const w = await startWitness({ name: 'witness.test/w1', logVkeys: [log.signer.vkey], now, ...extra });
  running.push(w);
  return w;
}

/** The value of one series in an exposition text. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body });
}

describe(`witness runtime (${testBackend()})`, () => {
  it('/health is liveness; /ready checks the store and answers 503 NOT_READY while draining, with Connection: close', async () => {
    const w = await witnessFor(new TestLog(randomBytes(32)));
    expect(await (await fetch(`${w.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${w.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    w.app.runtime.startDraining();
    const draining = await fetch(`${w.url}/ready`);
    expect(draining.status).toBe(503);
    expect(((await draining.json()) as { error: { code: string } }).error.code).toBe('NOT_READY');
    expect(draining.headers.get('connection')).toBe('close');
  });

  it('/ready is 503 when the store is closed', async () => {
    const w = await witnessFor(new TestLog(randomBytes(32)));
    await w.app.witnessStore.close();
    const res = await fetch(`${w.url}/ready`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'NOT_READY', message: expect.stringContaining('the store is not ready') });
  });

  it('metrics: add-checkpoint outcomes and request counts by route pattern; no checkpoint or address in them', async () => {
    const log = new TestLog(randomBytes(32)).grow(3);
    const w = await witnessFor(log, { runtime: { metricsRoute: true } });
    expect((await addCheckpoint(w.url, log.body(0))).status).toBe(200);
    expect((await addCheckpoint(w.url, log.body(0))).status).toBe(409);
    expect((await addCheckpoint(w.url, 'garbage')).status).toBe(400);
    const text = await (await fetch(`${w.url}/metrics`)).text();
    expect(sample(text, 'sealpost_witness_add_checkpoint_total', { outcome: 'cosigned', service: 'witness' })).toBe(1);
    expect(sample(text, 'sealpost_witness_add_checkpoint_total', { outcome: 'conflict' })).toBe(1);
    expect(sample(text, 'sealpost_witness_add_checkpoint_total', { outcome: 'MALFORMED' })).toBe(1);
    expect(sample(text, 'sealpost_http_request_duration_seconds_count', { route: '/add-checkpoint', status_code: '409' })).toBe(1);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).not.toContain(log.origin);
    expect(text).not.toContain('127.0.0.1');
  });

  it('logs carry method, route pattern and status, never the client address, a forwarded address or the checkpoint', async () => {
    let logged = '';
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const log = new TestLog(randomBytes(32)).grow(2);
    const w = await witnessFor(log, { logLevel: 'info', logStream, trustProxy: ['loopback'] });
    expect((await post(w.url, log.body(0), { 'x-forwarded-for': '198.51.100.77' })).status).toBe(200);
    expect((await post(w.url, 'old 9\n\nnot a note', { 'x-forwarded-for': '198.51.100.77' })).status).toBe(400);
    await fetch(`${w.url}/no/such/path?who=me`);
    await w.close();
    running.splice(running.indexOf(w), 1);
    expect(logged).toContain('"route":"/add-checkpoint"');
    expect(logged).toContain('"code":"MALFORMED"');
    // The one line naming an address is fastify's own about where the server listens.
    const lines = logged.split('\n').filter((l) => l !== '' && !l.includes('"msg":"Server listening at'));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const secret of ['198.51.100.77', '127.0.0.1', log.origin, 'who=me', '/no/such/path', 'remoteAddress', '"ip"']) expect(lines.join('\n'), secret).not.toContain(secret);
  });

  it('a request whose body never finishes arriving is cut off with 408 after the request timeout', async () => {
    const log = new TestLog(randomBytes(32)).grow(1);
    const w = await witnessFor(log, { requestTimeoutMs: 300 });
    const { port } = new URL(w.url);
    const answer = await new Promise<string>((done, fail) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nold 0\n');
      });
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString()));
      socket.on('close', () => done(got));
      socket.on('error', fail);
      setTimeout(() => {
        socket.destroy();
        fail(new Error(`no answer in 5 s: ${got}`));
      }, 5_000).unref();
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('REQUEST_TIMEOUT');
  });
});

describe(`body deadline (${testBackend()})`, () => {
  it('requests without a body, and bodies that arrived, are left alone once the deadline passes (no stray 408, no crash)', async () => {
    const log = new TestLog(randomBytes(32)).grow(2);
    const w = await witnessFor(log, { requestTimeoutMs: 200 });
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      expect((await fetch(`${w.url}/vkey`)).status).toBe(200);
      expect((await fetch(`${w.url}/evidence`)).status).toBe(200);
      expect((await addCheckpoint(w.url, log.body(0))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 600));
      expect(errors).toEqual([]);
      expect((await fetch(`${w.url}/health`)).status).toBe(200);
    } finally {
      process.off('uncaughtException', onError);
    }
  });
});

describe(`add-checkpoint rate limit (${testBackend()})`, () => {
  it('per client address: the burst, then 429 RATE_LIMITED with Retry-After; another address is unaffected; refills over time', async () => {
    const log = new TestLog(randomBytes(32)).grow(2);
    let clock = 1_000_000;
    const w = await witnessFor(log, { addCheckpointRateLimit: { burst: 3, refillMs: 10_000 }, clock: () => clock, trustProxy: ['loopback'] });
    const a = { 'x-forwarded-for': '198.51.100.1' };
    const b = { 'x-forwarded-for': '2001:db8:1:2::5' };
    for (let i = 0; i < 3; i++) expect((await post(w.url, log.body(0), a)).status).not.toBe(429);
    const refused = await post(w.url, log.body(0), a);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    // the same /64 is the same subscriber; another address has its own bucket
    for (let i = 0; i < 3; i++) expect((await post(w.url, 'x', b)).status).toBe(400);
    expect((await post(w.url, 'x', { 'x-forwarded-for': '2001:db8:1:2:ffff::1' })).status).toBe(429);
    expect((await post(w.url, 'x', { 'x-forwarded-for': '198.51.100.2' })).status).toBe(400);
    clock += 10_000;
    expect((await post(w.url, 'x', a)).status).toBe(400);
    expect((await post(w.url, 'x', a)).status).toBe(429);
  });

  it('X-Forwarded-For from an untrusted peer is ignored: every request from this peer shares one bucket', async () => {
    const log = new TestLog(randomBytes(32)).grow(2);
    const w = await witnessFor(log, { addCheckpointRateLimit: { burst: 2, refillMs: 3_600_000 } });
    expect((await post(w.url, 'x', { 'x-forwarded-for': '198.51.100.1' })).status).toBe(400);
    expect((await post(w.url, 'x', { 'x-forwarded-for': '198.51.100.2' })).status).toBe(400);
    expect((await post(w.url, 'x', { 'x-forwarded-for': '198.51.100.3' })).status).toBe(429);
    // other routes are not limited
    expect((await fetch(`${w.url}/vkey`)).status).toBe(200);
  });
});

describe('rate-limit building blocks', () => {
  it('client address keys: IPv4, IPv4-mapped IPv6 as IPv4, IPv6 by /64', () => {
    expect(clientAddressKey('192.0.2.1')).toBe('v4:192.0.2.1');
    expect(clientAddressKey('::ffff:192.0.2.1')).toBe('v4:192.0.2.1');
    expect(clientAddressKey('2001:db8:0:1::1')).toBe(clientAddressKey('2001:db8:0:1:ffff:ffff:ffff:ffff'));
    expect(clientAddressKey('2001:db8:0:1::1')).not.toBe(clientAddressKey('2001:db8:0:2::1'));
    expect(clientAddressKey('fe80::1%eth0')).toBe('v6:fe80:0:0:0::/64');
  });

  it('the in-memory limiter, when full, denies a new address rather than forget a spent bucket', () => {
    const limiter = new MemoryAddressLimiter({ burst: 1, refillMs: 1000 }, 2);
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('b', 0).allowed).toBe(true);
    expect(limiter.take('c', 0)).toEqual({ allowed: false, retryAfterMs: 1000 });
    expect(limiter.take('a', 0).allowed).toBe(false); // a's spent bucket is still there
    expect(limiter.take('c', 1000).allowed).toBe(true); // refilled buckets make room
    limiter.prune(5000);
    expect(limiter.size).toBe(0);
  });
});
