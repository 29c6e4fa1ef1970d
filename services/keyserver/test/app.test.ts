import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, RateLimiter, SqliteKeyStore } from '../src/index.ts';
import { call, startServer } from './support.ts';
import { buildTestKeyServer } from './test-stores.ts';

describe('OpenAPI and error shape', () => {
  it('documents every route with a schema and serves Swagger UI', async () => {
    const server = await startServer({ docs: true });
    try {
      const spec = (await call(server, 'GET', '/docs/json')).body;
      expect(spec.openapi).toMatch(/^3\./);
      const ops = Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ path, method, op })),
      );
      expect(ops.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(
        [
          'DELETE /v1/accounts/me',
          'DELETE /v1/devices/{deviceId}',
          'GET /health',
          'GET /v1/accounts/challenge',
          'GET /v1/accounts/whoami',
          'GET /v1/accounts/{accountId}/devices',
          'GET /v1/certificate/sender',
          'GET /v1/certificate/server',
          'GET /v1/credentials/relay',
          'GET /v1/credentials/relay/public-key',
          'GET /v1/devices',
          'GET /v1/keys/count',
          'GET /v1/keys/rotation',
          'GET /v1/keys/{accountId}/{deviceId}',
          'POST /v1/accounts',
          'POST /v1/attachments/form',
          'POST /v1/devices/link',
          'POST /v1/devices/provisioning-codes',
          'POST /v1/keys/check',
          'PUT /v1/keys',
          // key transparency (routes/kt.ts)
          'GET /kt/checkpoint',
          'GET /kt/tile/{*}',
          'GET /v1/handles/{handle}',
          'GET /v1/kt/config',
          'POST /v1/kt/search',
          'PUT /v1/accounts/me/handle',
        ].sort(),
      );
      for (const { method, path, op } of ops) {
        expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(0);
        if (method === 'post' || method === 'put') {
          if (!path.includes('provisioning-codes')) expect(op.requestBody, `${method} ${path}`).toBeDefined();
        }
      }
      const ui = await fetch(`${server.url}/docs/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger');
    } finally {
      await server.close();
    }
  });

  it('answers unknown routes with the error body', async () => {
    const server = await startServer();
    try {
      const res = await call(server, 'GET', '/v1/nope');
      expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    } finally {
      await server.close();
    }
  });

  it('redacts Authorization headers from logs', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const { app } = await buildTestKeyServer({ logger: { level: 'info', stream } as never, docs: false });
    app.log.info({ headers: { authorization: 'Basic c2VjcmV0' } }, 'probe');
    app.log.info({ req: { headers: { authorization: 'Basic c2VjcmV0' } } }, 'probe2');
    await app.close();
    const probe = lines.find((l) => l.includes('"probe"'))!;
    expect(probe).toContain('[redacted]');
    expect(lines.join('')).toContain('probe2');
    expect(lines.join('')).not.toContain('c2VjcmV0');
  });
});

describe('storage', () => {
  it('records migrations once and reopens a file database without re-running them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-store-'));
    try {
      const path = join(dir, 'k.db');
      const a = new SqliteKeyStore(path);
      expect(a.db.pragma('journal_mode', { simple: true })).toBe('wal');
      await a.createAccount({ accountId: 'acc', identityKey: new Uint8Array(33), registrationId: 1, secretHash: new Uint8Array(32), now: 1 });
      await a.close();
      const b = new SqliteKeyStore(path);
      const versions = b.db.prepare('SELECT version FROM schema_migrations').pluck().all();
      expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await b.listDevices('acc')).toEqual([{ deviceId: 1, registrationId: 1, createdAt: 1 }]);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RateLimiter', () => {
  it('allows a burst, then one permit per refill interval, per key', () => {
    const l = new RateLimiter({ burst: 2, refillMs: 1000 });
    expect(l.take('a', 0)).toEqual({ allowed: true });
    expect(l.take('a', 0)).toEqual({ allowed: true });
    expect(l.take('a', 0)).toEqual({ allowed: false, retryAfterMs: 1000 });
    expect(l.take('b', 0)).toEqual({ allowed: true });
    expect(l.take('a', 400)).toEqual({ allowed: false, retryAfterMs: 600 });
    expect(l.take('a', 1000)).toEqual({ allowed: true });
    expect(l.take('a', 1000).allowed).toBe(false);
    expect(l.take('a', 10_000)).toEqual({ allowed: true });
    expect(l.take('a', 10_000)).toEqual({ allowed: true }); // refilled to burst, not beyond
    expect(l.take('a', 10_000).allowed).toBe(false);
  });

  it('stays bounded in memory', () => {
    const l = new RateLimiter({ burst: 1, refillMs: 1e9 }, 100);
    for (let i = 0; i < 1000; i++) l.take(`k${i}`, 0);
    expect(l.size).toBeLessThanOrEqual(100);
  });
});
