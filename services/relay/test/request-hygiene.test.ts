/**
 * The relay over real HTTP, issue 11.9–11.11: its default log carries no
 * client address and no account id; framework and HTTP-parser errors get
 * the uniform `{ error: { code, message } }` body without echoing the path;
 * JSON bodies are not type-coerced while query strings still are converted.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';
import { rawHttpRequest } from '@sealpost/devkit/services';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
let harness: RelayHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});


function jsonBody(raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

async function accountOn(h: RelayHarness) {
  const id = newAccountId();
  h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 5 }]);
  const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
  const cred = h.credential(id, 1);
  expect((await h.client.setAccessKey(id, cred, accessKey)).status).toBe(204);
  return { id, accessKey, cred };
}

describe('relay request hygiene', () => {
  it('logs no client address and no account id by default', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    harness = await startRelay({ log: { level: 'info', stream } });
    const h = harness;
    const a = await accountOn(h);
    expect((await h.client.send(a.id, a.accessKey, [{ deviceId: 1, registrationId: 5, content: fakeSealed(1) }])).status).toBe(200);
    expect((await h.client.poll(a.cred, 10)).status).toBe(200);
    await fetch(`${h.client.baseUrl}/v1/messages/${a.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{' });
    await fetch(`${h.client.baseUrl}/nope/${a.id}?who=${a.id}`);
    const log = lines.join('');
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(requests.map((r) => [r.method, r.route, r.status])).toEqual([
      ['PUT', '/v1/accounts/:accountId/access-key', 204],
      ['PUT', '/v1/messages/:accountId', 200],
      ['GET', '/v1/messages', 200],
      ['PUT', '/v1/messages/:accountId', 400],
      ['GET', undefined, 404],
    ]);
    // The only address is the server's own, in the "Server listening at" line.
    expect(lines.filter((l) => l.includes('127.0.0.1')).map((l) => JSON.parse(l).msg)).toEqual([expect.stringMatching(/^Server listening at/)]);
    expect(log).not.toContain(a.id);
  });

  it('answers framework and HTTP-parser errors with the uniform body and no echo of the path', async () => {
    harness = await startRelay();
    const h = harness;
    const a = await accountOn(h);
    const url = h.client.baseUrl;
    const marker = 'ECHO-MARKER';
    const fetched: [string, Promise<Response>, number, string][] = [
      ['bad percent-encoding', fetch(`${url}/v1/messages/${marker}%zz`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }), 400, 'INVALID_REQUEST'],
      ['over-long parameter', fetch(`${url}/v1/messages/${marker}${'a'.repeat(300)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }), 414, 'URI_TOO_LONG'],
      ['bad JSON', fetch(`${url}/v1/messages/${a.id}`, { method: 'PUT', headers: { 'content-type': 'application/json', 'unidentified-access-key': b64(a.accessKey) }, body: `{"${marker}":` }), 400, 'INVALID_JSON'],
      ['unsupported media type', fetch(`${url}/v1/messages/${a.id}`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: `<${marker}/>` }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ];
    for (const [name, pending, status, code] of fetched) {
      const res = await pending;
      const text = await res.text();
      expect([name, res.status, (JSON.parse(text) as { error: { code: string } }).error.code]).toEqual([name, status, code]);
      expect(Object.keys((JSON.parse(text) as { error: object }).error).sort()).toEqual(['code', 'message']);
      expect(text, name).not.toContain(marker);
    }
    const raw: [string, string, string, string][] = [
      ['garbage request line', `GARBAGE /${marker}\r\n\r\n`, '400 Bad Request', 'BAD_REQUEST'],
      ['bad Content-Length', `PUT /v1/messages/${marker} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`, '400 Bad Request', 'BAD_REQUEST'],
      ['headers too large', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, '431 Request Header Fields Too Large', 'HEADERS_TOO_LARGE'],
    ];
    for (const [name, request, statusLine, code] of raw) {
      const answer = await rawHttpRequest(url, request);
      expect(answer.split('\r\n')[0], name).toBe(`HTTP/1.1 ${statusLine}`);
      expect((jsonBody(answer) as { error: { code: string; message: string } }).error, name).toEqual({ code, message: expect.any(String) });
      expect(answer, name).not.toContain(marker);
    }
  });

  it('does not coerce JSON body types; query strings are still converted', async () => {
    harness = await startRelay();
    const h = harness;
    const a = await accountOn(h);
    const send = (deviceId: unknown, registrationId: unknown) =>
      fetch(`${h.client.baseUrl}/v1/messages/${a.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'unidentified-access-key': b64(a.accessKey) },
        body: JSON.stringify({ messages: [{ deviceId, registrationId, content: b64(fakeSealed(2)) }] }),
      });
    for (const [deviceId, registrationId] of [['1', 5], [1, '5'], [true, 5], [[1], 5]] as const) {
      const r = await send(deviceId, registrationId);
      expect([JSON.stringify([deviceId, registrationId]), r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([
        JSON.stringify([deviceId, registrationId]),
        400,
        'INVALID_REQUEST',
      ]);
    }
    expect((await send(1, 5)).status).toBe(200);
    const poll = await h.client.poll(a.cred, 1);
    expect([poll.status, poll.body.messages.length]).toEqual([200, 1]);
    const repeated = await fetch(`${h.client.baseUrl}/v1/messages?limit=1&limit=2`, { headers: { authorization: `Bearer ${a.cred}` } });
    expect(repeated.status).toBe(400);
  });
});
