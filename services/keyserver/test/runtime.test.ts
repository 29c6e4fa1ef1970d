/**
 * The production runtime over real HTTP: /ready (store check, draining),
 * Prometheus metrics (route patterns, no account ids, values that move,
 * one-time-key stock, the separate loopback listener) and trustProxy (the
 * registration limit keys on X-Forwarded-For only from a trusted proxy).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from '@sealpost/protocol/primitives';
import { startMetricsListener } from '@sealpost/service-kit/runtime';
import { b64, call, createAccount, ecPublicKey, newIdentity, startServer, type RunningServer } from './support.ts';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The value of one series in an exposition text (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

function register(url: string, headers: Record<string, string> = {}) {
  return call({ url }, 'POST', '/v1/accounts', {
    headers,
    body: { identityKey: b64(newIdentity().publicKey), registrationId: 77, deviceSecret: b64(randomBytes(32)) },
  });
}

describe('key server runtime', () => {
  it('/health is liveness; /ready checks the store and answers 503 NOT_READY while draining, with Connection: close', async () => {
    server = await startServer();
    expect((await call(server, 'GET', '/health')).status).toBe(200);
    const ready = await call(server, 'GET', '/ready');
    expect([ready.status, ready.body]).toEqual([200, { status: 'ready' }]);

    server.app.runtime.startDraining();
    const draining = await call(server, 'GET', '/ready');
    expect(draining.status).toBe(503);
    expect(draining.body.error.code).toBe('NOT_READY');
    expect(draining.headers.get('connection')).toBe('close');
    // Draining serves requests as usual (no 5xx), it only tells clients to move on.
    const health = await call(server, 'GET', '/health');
    expect([health.status, health.headers.get('connection')]).toEqual([200, 'close']);
  });

  it('/ready is 503 when the database is gone', async () => {
    server = await startServer();
    await server.store.close();
    const res = await call(server, 'GET', '/ready');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'NOT_READY', message: 'the store is not ready: the database is closed' });
  });

  it('metrics on the service port: per route pattern (no account ids), counts and one-time-key stock move, process metrics present', async () => {
    server = await startServer({ runtime: { metricsRoute: true, metricsSampleMs: 0 } });
    const alice = await createAccount(server);
    const before = await scrape(server.url);
    const route = { method: 'GET', route: '/v1/keys/:accountId/:deviceId', status_code: '200' };
    const fetchedBefore = sample(before, 'sealpost_http_request_duration_seconds_count', route) ?? 0;
    expect(sample(before, 'sealpost_keyserver_one_time_keys', { kind: 'ec' })).toBe(0);

    const preKeys = Array.from({ length: 5 }, (_, i) => ({ keyId: 100 + i, publicKey: b64(ecPublicKey()) }));
    expect((await call(server, 'PUT', '/v1/keys', { auth: alice.auth, body: { preKeys } })).status).toBe(200);
    const bob = await createAccount(server);
    for (let i = 0; i < 2; i++) expect((await call(server, 'GET', `/v1/keys/${alice.accountId}/1`, { auth: bob.auth })).status).toBe(200);

    const after = await scrape(server.url);
    expect(sample(after, 'sealpost_http_request_duration_seconds_count', route)).toBe(fetchedBefore + 2);
    expect(sample(after, 'sealpost_http_request_duration_seconds_count', { method: 'POST', route: '/v1/accounts', status_code: '201' })).toBe(2);
    expect(sample(after, 'sealpost_keyserver_one_time_keys', { kind: 'ec', service: 'keyserver' })).toBe(3);
    expect(after).not.toContain(alice.accountId);
    expect(after).not.toContain(bob.accountId);
    expect(sample(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(after, 'nodejs_eventloop_lag_seconds')).toBeDefined();
  });

  it('metrics are off the service port by default; the separate listener serves them on loopback', async () => {
    server = await startServer();
    expect((await call(server, 'GET', '/metrics')).status).toBe(404);
    const listener = await startMetricsListener(server.app.runtime.metrics, '127.0.0.1', 0);
    try {
      await call(server, 'GET', '/health');
      const text = await scrape(`http://127.0.0.1:${listener.port}`);
      expect(sample(text, 'sealpost_http_request_duration_seconds_count', { route: '/health' })).toBeGreaterThanOrEqual(1);
      expect((await fetch(`http://127.0.0.1:${listener.port}/other`)).status).toBe(404);
    } finally {
      await listener.close();
    }
  });

  describe('trustProxy', () => {
    const oneRegistration = { registrationRateLimit: { burst: 1, refillMs: 3_600_000 } };

    it('unset: X-Forwarded-For is ignored, every registration from this peer shares one bucket', async () => {
      server = await startServer({ settings: oneRegistration });
      expect((await register(server.url, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(201);
      const second = await register(server.url, { 'x-forwarded-for': '198.51.100.2' });
      expect(second.status).toBe(429);
    });

    it('a proxy that is not the peer is not trusted: the header is still ignored', async () => {
      server = await startServer({ settings: oneRegistration, trustProxy: ['10.0.0.0/8'] });
      expect((await register(server.url, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(201);
      expect((await register(server.url, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(429);
    });

    it('the peer is a trusted proxy: each forwarded client has its own bucket, a spoofed left-most hop does not help', async () => {
      server = await startServer({ settings: oneRegistration, trustProxy: ['127.0.0.1'] });
      expect((await register(server.url, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(201);
      expect((await register(server.url, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(201);
      expect((await register(server.url, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(429);
      // The client prepends a fake address; the proxy appends the real one, which is what counts.
      expect((await register(server.url, { 'x-forwarded-for': '203.0.113.9, 198.51.100.2' })).status).toBe(429);
    });
  });
});
