/**
 * CORS for configured browser origins (`corsOrigins`, `--cors-origins`) over
 * real HTTP, and the `Origin` check of WebSocket upgrades (which CORS does
 * not cover): a listed origin may open the socket, another gets 403
 * FORBIDDEN_ORIGIN before authentication, a client without `Origin` passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { newTestClient, startLocalServices, type LocalServices } from '@sealpost/devkit/services';
import { loadConfig } from '../src/config.ts';

const PAGE = 'http://127.0.0.1:5173';
const OTHER = 'http://127.0.0.1:6666';

/** Opens a WebSocket; resolves with 'open' or the HTTP status of a refused upgrade (and its body). */
function upgrade(url: string, headers: Record<string, string>): Promise<{ open: true } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ open: true });
    });
    // The relay must close a refused upgrade's socket itself (else its close() would wait for it: the afterAll would hang).
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', reject);
  });
}

describe('relay CORS and WebSocket origins', () => {
  let services: LocalServices;
  let client: ReturnType<typeof newTestClient>;
  let token = '';
  let wsUrl = '';

  beforeAll(async () => {
    services = await startLocalServices({ relay: { corsOrigins: [PAGE] } });
    client = newTestClient(services);
    await client.register();
    token = (await client.keyServer.relayCredential(services.relayUrl)).token;
    wsUrl = `${services.relayUrl.replace('http', 'ws')}/v1/websocket`;
  });
  afterAll(async () => {
    await client.close();
    await services.close();
  });

  it('--cors-origins / RELAY_CORS_ORIGINS, default none', () => {
    const required = { RELAY_KEYSERVER_URL: 'http://127.0.0.1:1', RELAY_KEYSERVER_PUBLIC_KEY: Buffer.alloc(32, 1).toString('base64') };
    expect(loadConfig([], required).corsOrigins).toEqual([]);
    expect(loadConfig([], { ...required, RELAY_CORS_ORIGINS: PAGE }).corsOrigins).toEqual([PAGE]);
    expect(() => loadConfig(['--cors-origins', '*'], required)).toThrow(/--cors-origins/);
  });

  it('preflight of a sealed send allows unidentified-access-key and content-type', async () => {
    const r = await fetch(`${services.relayUrl}/v1/messages/${client.address.account}`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'unidentified-access-key,content-type' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(r.headers.get('access-control-allow-methods')).toContain('PUT');
    const allowed = r.headers.get('access-control-allow-headers')!.split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'unidentified-access-key']));
  });

  it('an authenticated GET from the page carries the headers; one from another origin does not', async () => {
    const mine = await fetch(`${services.relayUrl}/v1/messages`, { headers: { origin: PAGE, authorization: `Bearer ${token}` } });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('access-control-allow-origin')).toBe(PAGE);
    const theirs = await fetch(`${services.relayUrl}/v1/messages`, { headers: { origin: OTHER, authorization: `Bearer ${token}` } });
    expect(theirs.headers.get('access-control-allow-origin')).toBeNull();
    const refused = await fetch(`${services.relayUrl}/v1/messages`, { headers: { origin: PAGE } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('WebSocket: the page origin opens (token in the query, as a browser must), another origin gets 403 before auth, no Origin passes', async () => {
    expect(await upgrade(`${wsUrl}?token=${encodeURIComponent(token)}`, { origin: PAGE })).toEqual({ open: true });
    const foreign = await upgrade(`${wsUrl}?token=${encodeURIComponent(token)}`, { origin: OTHER });
    expect(foreign).toMatchObject({ status: 403 });
    expect(JSON.parse((foreign as { body: string }).body).error.code).toBe('FORBIDDEN_ORIGIN');
    // Refused before authentication: no credential at all still says FORBIDDEN_ORIGIN.
    expect(await upgrade(wsUrl, { origin: OTHER })).toMatchObject({ status: 403 });
    expect(await upgrade(wsUrl, { authorization: `Bearer ${token}` })).toEqual({ open: true });
  });

  it('a relay without corsOrigins refuses every browser page on the WebSocket and sends no CORS headers', async () => {
    const plain = await startLocalServices();
    try {
      const c = newTestClient(plain);
      await c.register();
      const t = (await c.keyServer.relayCredential(plain.relayUrl)).token;
      const url = `${plain.relayUrl.replace('http', 'ws')}/v1/websocket?token=${encodeURIComponent(t)}`;
      expect(await upgrade(url, { origin: PAGE })).toMatchObject({ status: 403 });
      expect(await upgrade(url, {})).toEqual({ open: true });
      const r = await fetch(`${plain.relayUrl}/v1/messages`, { headers: { origin: PAGE, authorization: `Bearer ${t}` } });
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      await c.close();
    } finally {
      await plain.close();
    }
  });
});
