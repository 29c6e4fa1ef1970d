/**
 * The key server over real HTTP, issues 11.10–11.11: framework and
 * HTTP-parser errors get the uniform `{ error: { code, message } }` body
 * without echoing the path; JSON bodies are not type-coerced; the device
 * list is rate limited per client address (or per device with Basic
 * credentials), relays' addresses exempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '@sealpost/protocol/primitives';
import { b64, call, createAccount, newIdentity, startServer, type RunningServer } from './support.ts';
import { rawHttpRequest } from '@sealpost/devkit/services';


describe('framework errors', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server.close());

  it('answer with the uniform body and never echo the path', async () => {
    const me = await createAccount(server);
    const marker = 'ECHO-MARKER';
    const cases: [string, string, string, Record<string, string>, string | undefined, number, string][] = [
      ['bad percent-encoding', 'GET', `/v1/accounts/${marker}%zz/devices`, {}, undefined, 400, 'INVALID_REQUEST'],
      ['over-long parameter', 'GET', `/v1/accounts/${marker}${'a'.repeat(300)}/devices`, {}, undefined, 414, 'URI_TOO_LONG'],
      ['bad JSON', 'PUT', '/v1/keys', { authorization: me.auth, 'content-type': 'application/json' }, `{"${marker}":`, 400, 'INVALID_JSON'],
      ['unsupported media type', 'PUT', '/v1/keys', { authorization: me.auth, 'content-type': 'text/plain' }, marker, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['bad path parameter', 'GET', `/v1/keys/${marker}/1`, { authorization: me.auth }, undefined, 400, 'INVALID_REQUEST'],
    ];
    for (const [name, method, path, headers, body, status, code] of cases) {
      const res = await fetch(server.url + path, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      const parsed = JSON.parse(text) as { error: Record<string, unknown> };
      expect([name, res.status, parsed.error.code]).toEqual([name, status, code]);
      expect(Object.keys(parsed.error).sort(), name).toEqual(['code', 'message']);
      expect(text, name).not.toContain(marker);
    }
    const raw: [string, string, string, string][] = [
      ['garbage request line', `GARBAGE /${marker}\r\n\r\n`, '400 Bad Request', 'BAD_REQUEST'],
      ['bad Content-Length', `PUT /v1/keys/${marker} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`, '400 Bad Request', 'BAD_REQUEST'],
      ['headers too large', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, '431 Request Header Fields Too Large', 'HEADERS_TOO_LARGE'],
    ];
    for (const [name, request, statusLine, code] of raw) {
      const answer = await rawHttpRequest(server.url, request);
      expect(answer.split('\r\n')[0], name).toBe(`HTTP/1.1 ${statusLine}`);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error, name).toEqual({ code, message: expect.any(String) });
      expect(answer, name).not.toContain(marker);
    }
    // The server is still up.
    expect((await call(server, 'GET', '/health')).status).toBe(200);
  });

  it('do not coerce JSON body types (path parameters are strings converted by the route)', async () => {
    const base = { identityKey: b64(newIdentity().publicKey), deviceSecret: b64(randomBytes(32)) };
    for (const registrationId of ['5', true, [5], 5.5]) {
      const r = await call(server, 'POST', '/v1/accounts', { body: { ...base, registrationId } });
      expect([JSON.stringify(registrationId), r.status, r.body.error.code]).toEqual([JSON.stringify(registrationId), 400, 'INVALID_REQUEST']);
    }
    const me = await createAccount(server);
    const keyIdAsString = await call(server, 'PUT', '/v1/keys', { auth: me.auth, body: { preKeys: [{ keyId: '1', publicKey: b64(Uint8Array.of(5, ...randomBytes(32))) }] } });
    expect([keyIdAsString.status, keyIdAsString.body.error.message]).toEqual([400, 'body/preKeys/0/keyId must be integer']);
    expect((await call(server, 'GET', `/v1/keys/${me.accountId}/1`, { auth: me.auth })).status).toBe(200);
  });
});

describe('device list', () => {
  let server: RunningServer;
  let now = 1_800_000_000_000;
  beforeAll(async () => {
    server = await startServer({ now: () => now, settings: { deviceListRateLimit: { burst: 3, refillMs: 10_000 }, deviceListTrustedAddresses: [] } });
  });
  afterAll(async () => server.close());

  it('is rate limited per client address, per device with Basic credentials, and refuses bad credentials', async () => {
    const target = await createAccount(server);
    const me = await createAccount(server);
    const list = (auth?: string) => call(server, 'GET', `/v1/accounts/${target.accountId}/devices`, auth === undefined ? {} : { auth });
    for (let i = 0; i < 3; i++) expect((await list()).body).toEqual({ devices: [{ deviceId: 1, registrationId: expect.any(Number) }] });
    const limited = await list();
    expect([limited.status, limited.body.error.code, limited.headers.get('retry-after')]).toEqual([429, 'RATE_LIMITED', '10']);
    // The per-address limit holds for every target, not per target.
    expect((await call(server, 'GET', `/v1/accounts/${me.accountId}/devices`)).status).toBe(429);
    // With credentials the device has its own bucket.
    for (let i = 0; i < 3; i++) expect((await list(me.auth)).status).toBe(200);
    expect((await list(me.auth)).status).toBe(429);
    expect((await list('Basic bm9wZQ==')).status).toBe(401);
    now += 10_000;
    expect((await list()).status).toBe(200);
  });

  it("exempts the relays' addresses", async () => {
    const trusting = await startServer({ settings: { deviceListRateLimit: { burst: 1, refillMs: 60_000 }, deviceListTrustedAddresses: ['127.0.0.0/8'] } });
    try {
      const target = await createAccount(trusting);
      for (let i = 0; i < 20; i++) expect((await call(trusting, 'GET', `/v1/accounts/${target.accountId}/devices`)).status).toBe(200);
    } finally {
      await trusting.close();
    }
  });
});
