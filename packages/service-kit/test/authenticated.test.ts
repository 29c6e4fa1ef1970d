import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticated, deviceOf, HttpError, installErrorHandling, type AuthenticatedDevice } from '../src/index.ts';

interface Principal extends AuthenticatedDevice {
  registrationId: number;
}

let app: FastifyInstance;
afterEach(async () => app?.close());

async function build(): Promise<{ verified: string[] }> {
  const verified: string[] = [];
  app = Fastify();
  installErrorHandling(app);
  const verify = async (request: { headers: Record<string, unknown>; url: string }): Promise<Principal> => {
    verified.push(request.url);
    await new Promise((r) => setImmediate(r));
    if (request.headers.authorization !== 'Token good') {
      throw new HttpError(401, 'UNAUTHORIZED', 'bad token', { headers: { 'www-authenticate': 'Token' } });
    }
    return { accountId: 'acct', deviceId: 2, registrationId: 77 };
  };
  app.get('/public', async (request) => ({ device: request.device ?? 'absent' }));
  await app.register(
    authenticated(verify, async (scope) => {
      scope.get('/me', async (request) => ({ ...request.device, reg: deviceOf<Principal>(request).registrationId }));
      scope.post<{ Body: { n: number } }>(
        '/upload',
        { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
        async (request) => ({ by: request.device.deviceId, n: request.body.n }),
      );
    }),
  );
  // A second scope beside the first: its own hook, the same decorator name.
  await app.register(authenticated(() => ({ accountId: 'other', deviceId: 1 }), (scope) => void scope.get('/other', async (r) => r.device)));
  await app.ready();
  return { verified };
}

describe('authenticated', () => {
  it('puts the verified device on request.device inside the scope only', async () => {
    const { verified } = await build();
    const me = await app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Token good' } });
    expect(me.json()).toEqual({ accountId: 'acct', deviceId: 2, registrationId: 77, reg: 77 });
    expect((await app.inject({ method: 'GET', url: '/public' })).json()).toEqual({ device: 'absent' });
    expect((await app.inject({ method: 'GET', url: '/other' })).json()).toEqual({ accountId: 'other', deviceId: 1 });
    expect(verified).toEqual(['/me']);
  });

  it('refuses before the body is parsed or validated', async () => {
    await build();
    const bad = await app.inject({ method: 'POST', url: '/upload', payload: '{not json', headers: { 'content-type': 'application/json', authorization: 'Token nope' } });
    expect([bad.statusCode, bad.json(), bad.headers['www-authenticate']]).toEqual([401, { error: { code: 'UNAUTHORIZED', message: 'bad token' } }, 'Token']);
    const ok = await app.inject({ method: 'POST', url: '/upload', payload: { n: 5 }, headers: { authorization: 'Token good' } });
    expect(ok.json()).toEqual({ by: 2, n: 5 });
    const invalid = await app.inject({ method: 'POST', url: '/upload', payload: { n: 'x' }, headers: { authorization: 'Token good' } });
    expect([invalid.statusCode, invalid.json().error.code]).toEqual([400, 'INVALID_REQUEST']);
  });
});
