/**
 * CORS for configured browser origins (`corsOrigins`, `--cors-origins`), over
 * real HTTP: the allowed origin gets the headers on answers and errors, the
 * preflight allows the headers the client SDK sends, other origins get none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyServerStartConfig } from '../src/start-config.ts';
import { call, createAccount, startServer, type DeviceLogin, type RunningServer } from './support.ts';

const PAGE = 'http://127.0.0.1:5173';
const OTHER = 'http://127.0.0.1:6666';

describe('key server CORS', () => {
  let server: RunningServer;
  let plain: RunningServer;
  let alice: DeviceLogin;

  beforeAll(async () => {
    server = await startServer({ corsOrigins: [PAGE] });
    plain = await startServer();
    alice = await createAccount(server);
  });
  afterAll(async () => {
    await server.close();
    await plain.close();
  });

  it('--cors-origins / KEYSERVER_CORS_ORIGINS, default none', () => {
    expect(loadKeyServerStartConfig([], {}).corsOrigins).toEqual([]);
    expect(loadKeyServerStartConfig([], { KEYSERVER_CORS_ORIGINS: `${PAGE},https://chat.example` }).corsOrigins).toEqual([PAGE, 'https://chat.example']);
    expect(() => loadKeyServerStartConfig(['--cors-origins', 'https://chat.example/path'], {})).toThrow(/--cors-origins/);
  });

  it('preflight of an authenticated PUT allows the methods and headers the client sends', async () => {
    const r = await call(server, 'OPTIONS', '/v1/keys', {
      headers: { origin: PAGE, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(r.headers.get('access-control-allow-methods')).toContain('PUT');
    const allowed = r.headers.get('access-control-allow-headers')!.split(/,\s*/);
    for (const h of ['authorization', 'content-type', 'registration-token', 'registration-proof']) expect(allowed).toContain(h);
    expect(r.headers.get('access-control-max-age')).toBe('600');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('the allowed origin gets Access-Control-Allow-Origin on answers and on errors (so the page can read them)', async () => {
    const ok = await call(server, 'GET', '/v1/keys/count', { auth: alice.auth, headers: { origin: PAGE } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(ok.headers.get('vary')).toContain('Origin');
    expect(ok.headers.get('access-control-expose-headers')).toContain('retry-after');
    const denied = await call(server, 'GET', '/v1/keys/count', { headers: { origin: PAGE } });
    expect(denied.status).toBe(401);
    expect(denied.body.error.code).toBe('UNAUTHORIZED');
    expect(denied.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('another origin gets no CORS headers, and its preflight a plain 404', async () => {
    const r = await call(server, 'GET', '/v1/keys/count', { auth: alice.auth, headers: { origin: OTHER } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await call(server, 'OPTIONS', '/v1/keys', { headers: { origin: OTHER, 'access-control-request-method': 'PUT' } });
    expect(pre.status).toBe(404);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.body.error.code).toBe('NOT_FOUND');
  });

  it('without corsOrigins no origin gets CORS headers', async () => {
    const r = await call(plain, 'GET', '/health', { headers: { origin: PAGE } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await call(plain, 'OPTIONS', '/v1/keys', { headers: { origin: PAGE, 'access-control-request-method': 'PUT' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).toBe(404);
  });
});
