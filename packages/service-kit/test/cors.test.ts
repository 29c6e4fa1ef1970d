import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, CORS_ORIGINS_OPTION, installCors, installErrorHandling, loadConfig, originAllowed, parseCorsOrigins } from '../src/index.ts';

const PAGE = 'http://127.0.0.1:5173';

describe('parseCorsOrigins', () => {
  it('accepts comma-separated origins and normalises a trailing slash', () => {
    expect(parseCorsOrigins(' http://127.0.0.1:5173 , https://chat.example/ ')).toEqual(['http://127.0.0.1:5173', 'https://chat.example']);
  });

  it.each(['*', 'chat.example', 'http://chat.example/app', 'http://chat.example?x=1', 'ftp://chat.example', 'http://user:pw@chat.example', ','])('refuses %j', (text) => {
    expect(() => parseCorsOrigins(text)).toThrow(/origin/);
  });

  it('is a config option: --cors-origins / <PREFIX>_CORS_ORIGINS, default none', () => {
    const spec = { corsOrigins: CORS_ORIGINS_OPTION };
    expect(loadConfig(spec, { envPrefix: 'X_', argv: [], env: {} }).corsOrigins).toEqual([]);
    expect(loadConfig(spec, { envPrefix: 'X_', argv: [], env: { X_CORS_ORIGINS: PAGE } }).corsOrigins).toEqual([PAGE]);
    expect(loadConfig(spec, { envPrefix: 'X_', argv: ['--cors-origins', 'https://a.example'], env: { X_CORS_ORIGINS: PAGE } }).corsOrigins).toEqual(['https://a.example']);
    expect(() => loadConfig(spec, { envPrefix: 'X_', argv: ['--cors-origins=*'], env: {} })).toThrow(ConfigError);
  });

  it('originAllowed: no Origin header passes, listed origins pass, others do not', () => {
    expect(originAllowed([], undefined)).toBe(true);
    expect(originAllowed([PAGE], PAGE)).toBe(true);
    expect(originAllowed([PAGE], 'http://evil.example')).toBe(false);
    expect(originAllowed([], PAGE)).toBe(false);
  });
});

describe('installCors over real HTTP', () => {
  let url = '';
  let noneUrl = '';
  const apps: ReturnType<typeof Fastify>[] = [];

  beforeAll(async () => {
    for (const origins of [[PAGE], []]) {
      const app = Fastify();
      installErrorHandling(app);
      await installCors(app, origins);
      app.get('/thing', async () => ({ ok: true }));
      await app.listen({ host: '127.0.0.1', port: 0 });
      apps.push(app);
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      if (origins.length > 0) url = `http://127.0.0.1:${address.port}`;
      else noneUrl = `http://127.0.0.1:${address.port}`;
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('a foreign preflight gets the uniform 404 body and no CORS headers', async () => {
    const r = await fetch(`${url}/thing`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    expect(r.status).toBe(404);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('with no origins configured nothing carries CORS headers', async () => {
    const r = await fetch(`${noneUrl}/thing`, { headers: { origin: PAGE } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${noneUrl}/thing`, { method: 'OPTIONS', headers: { origin: PAGE, 'access-control-request-method': 'GET' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});
