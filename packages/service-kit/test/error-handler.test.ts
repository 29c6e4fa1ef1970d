import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { errorBodyRef, frameworkErrors, HttpError, installErrorHandling, KIT_ERROR_CODES, withErrors } from '../src/index.ts';

let app: FastifyInstance;
const logged: string[] = [];

async function build(): Promise<FastifyInstance> {
  logged.length = 0;
  app = Fastify({
    frameworkErrors,
    bodyLimit: 1024,
    logger: { level: 'error', stream: { write: (line: string) => void logged.push(line) } },
  });
  installErrorHandling(app);
  app.removeContentTypeParser('text/plain');
  app.get('/teapot', async () => {
    throw new HttpError(418, 'TEAPOT', 'short and stout', { details: { spout: true }, headers: { 'retry-after': '7' } });
  });
  app.get('/boom', async () => {
    throw new Error('secret table name kt_internal');
  });
  app.post<{ Body: { n: number } }>(
    '/echo',
    {
      schema: {
        body: { type: 'object', additionalProperties: false, required: ['n'], properties: { n: { type: 'integer' } } },
        response: withErrors({ 200: { type: 'object', properties: { n: { type: 'integer' } } } }),
      },
    },
    async (request) => ({ n: request.body.n }),
  );
  app.get<{ Params: { id: string } }>('/items/:id', async (request) => ({ id: request.params.id }));
  app.get('/detailed', { schema: { response: withErrors({ 200: { type: 'object' } }) } }, async () => {
    throw new HttpError(409, 'MISMATCH', 'device list changed', { details: { missingDevices: [2, 3] } });
  });
  await app.ready();
  return app;
}

afterEach(async () => app?.close());

describe('installErrorHandling', () => {
  it('sends an HttpError with its status, code, message, details and headers', async () => {
    await build();
    const res = await app.inject({ method: 'GET', url: '/teapot' });
    expect(res.statusCode).toBe(418);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toEqual({ error: { code: 'TEAPOT', message: 'short and stout', spout: true } });
  });

  it('keeps details through a response schema that references the shared error body', async () => {
    await build();
    const res = await app.inject({ method: 'GET', url: '/detailed' });
    expect([res.statusCode, res.json()]).toEqual([409, { error: { code: 'MISMATCH', message: 'device list changed', missingDevices: [2, 3] } }]);
  });

  it('answers schema violations with 400 INVALID_REQUEST naming the part and field', async () => {
    await build();
    const missing = await app.inject({ method: 'POST', url: '/echo', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('INVALID_REQUEST');
    expect(missing.json().error.message).toBe("body must have required property 'n'");
    const wrongType = await app.inject({ method: 'POST', url: '/echo', payload: { n: 'x' } });
    expect(wrongType.json().error).toEqual({ code: 'INVALID_REQUEST', message: 'body/n must be integer' });
  });

  it("maps fastify's body errors to kit codes", async () => {
    await build();
    const cases: [{ method: 'POST'; url: string; payload: string; headers: Record<string, string> }, number, string][] = [
      [{ method: 'POST', url: '/echo', payload: '{"n":', headers: { 'content-type': 'application/json' } }, 400, 'INVALID_JSON'],
      [{ method: 'POST', url: '/echo', payload: '', headers: { 'content-type': 'application/json' } }, 400, 'EMPTY_BODY'],
      [{ method: 'POST', url: '/echo', payload: 'hi', headers: { 'content-type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [{ method: 'POST', url: '/echo', payload: JSON.stringify({ n: 1, pad: 'x'.repeat(2000) }), headers: { 'content-type': 'application/json' } }, 413, 'BODY_TOO_LARGE'],
    ];
    for (const [request, status, code] of cases) {
      const res = await app.inject(request);
      expect([res.statusCode, res.json().error.code], String(request.payload).slice(0, 20)).toEqual([status, code]);
      expect(res.json().error.message.length).toBeGreaterThan(3);
    }
  });

  it('answers unknown routes with 404 NOT_FOUND and over-long path parameters with 414 URI_TOO_LONG', async () => {
    await build();
    const none = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect([none.statusCode, none.json()]).toEqual([404, { error: { code: 'NOT_FOUND', message: 'no GET route at this path' } }]);
    expect(none.body).not.toContain('nope');
    expect((await app.inject({ method: 'GET', url: '/items/abc' })).json()).toEqual({ id: 'abc' });
    const long = await app.inject({ method: 'GET', url: `/items/${'a'.repeat(500)}` });
    expect([long.statusCode, long.json()]).toEqual([414, { error: { code: 'URI_TOO_LONG', message: 'a path parameter is longer than the server accepts' } }]);
  });

  it('answers a malformed URL (bad percent-encoding) with the uniform body via frameworkErrors', async () => {
    await build();
    const res = await app.inject({ method: 'GET', url: '/items/%zz' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'INVALID_REQUEST', message: 'malformed URL (bad percent-encoding)' } });
  });

  it('hides unexpected errors behind 500 INTERNAL and logs them without request data', async () => {
    await build();
    const res = await app.inject({ method: 'GET', url: '/boom', headers: { authorization: 'Basic c2VjcmV0' } });
    expect([res.statusCode, res.json()]).toEqual([500, { error: { code: 'INTERNAL', message: 'internal error' } }]);
    expect(res.body).not.toContain('kt_internal');
    const log = logged.join('');
    expect(log).toContain('kt_internal');
    expect(log).not.toContain('c2VjcmV0');
  });

  it('registers the ErrorBody schema once, for $ref from any route', async () => {
    await build();
    expect(app.getSchema('ErrorBody')).toBeDefined();
    expect(withErrors({ 200: { type: 'null' } })).toEqual({ 200: { type: 'null' }, '4xx': errorBodyRef, '5xx': errorBodyRef });
    expect(withErrors({ 201: { type: 'null' } }, [400, 404])).toEqual({ 201: { type: 'null' }, 400: errorBodyRef, 404: errorBodyRef });
  });
});

describe('HttpError', () => {
  it('holds a status in 400..599, a code and defaults for details and headers', () => {
    const e = new HttpError(404, 'UNKNOWN_ACCOUNT', 'no such account');
    expect([e.status, e.statusCode, e.code, e.message, e.details, e.headers]).toEqual([404, 404, 'UNKNOWN_ACCOUNT', 'no such account', {}, {}]);
    expect(e).toBeInstanceOf(Error);
    expect(() => new HttpError(200, 'OK', 'fine')).toThrow(RangeError);
    expect(() => new HttpError(600, 'X', 'x')).toThrow(RangeError);
    expect(KIT_ERROR_CODES).toContain('INTERNAL');
  });
});
