/**
 * The kit's request policy over a listening fastify: JSON bodies are not
 * type-coerced, params and query strings are converted from their wire
 * strings, shared schemas resolve in both; `clientErrorHandler` answers
 * what Node's HTTP parser refuses with the uniform body.
 */
import { connect } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientErrorHandler, frameworkErrors, installErrorHandling, validationOptions } from '../src/index.ts';

let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  app = Fastify({ frameworkErrors, clientErrorHandler, ...validationOptions() });
  installErrorHandling(app);
  app.addSchema({ $id: 'Small', type: 'integer', minimum: 1, maximum: 9 });
  app.post<{ Body: { n: number; flag?: boolean } }>(
    '/body',
    { schema: { body: { type: 'object', additionalProperties: false, required: ['n'], properties: { n: { $ref: 'Small#' }, flag: { type: 'boolean' } } } } },
    async (request) => ({ n: request.body.n, type: typeof request.body.n }),
  );
  app.get<{ Params: { id: number }; Querystring: { limit?: number } }>(
    '/items/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { $ref: 'Small#' } } },
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1 } } },
      },
    },
    async (request) => ({ id: request.params.id, limit: request.query.limit ?? null }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => app.close());

const post = (body: unknown) => fetch(`${url}/body`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('validationOptions', () => {
  it('refuses a body whose types are wrong instead of coercing them', async () => {
    const ok = await post({ n: 3 });
    expect([ok.status, await ok.json()]).toEqual([200, { n: 3, type: 'number' }]);
    for (const body of [{ n: '3' }, { n: [3] }, { n: true }, { n: 3, flag: 'true' }, { n: 3, flag: 1 }]) {
      const r = await post(body);
      expect([JSON.stringify(body), r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([JSON.stringify(body), 400, 'INVALID_REQUEST']);
    }
    const unknown = await post({ n: 3, extra: 1 });
    expect(unknown.status).toBe(400);
  });

  it('converts path parameters and query strings from their wire strings, one value each', async () => {
    const r = await fetch(`${url}/items/4?limit=7`);
    expect(await r.json()).toEqual({ id: 4, limit: 7 });
    expect((await fetch(`${url}/items/x`)).status).toBe(400);
    expect((await fetch(`${url}/items/4?limit=seven`)).status).toBe(400);
    expect((await fetch(`${url}/items/4?limit=1&limit=2`)).status).toBe(400);
  });
});

describe('clientErrorHandler', () => {
  const raw = (request: string) =>
    new Promise<string>((resolve) => {
      const { hostname, port } = new URL(url);
      const socket = connect(Number(port), hostname);
      let out = '';
      socket.on('data', (d) => (out += d.toString()));
      socket.on('close', () => resolve(out));
      socket.on('error', () => resolve(out));
      socket.write(request);
    });

  it('answers unparsable requests with the uniform body and closes the connection', async () => {
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'BAD_REQUEST', message: 'malformed HTTP request' } });
    const big = await raw(`GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(big.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4)).error.code).toBe('HEADERS_TOO_LARGE');
    expect((await fetch(`${url}/items/1`)).status).toBe(200);
  });
});
