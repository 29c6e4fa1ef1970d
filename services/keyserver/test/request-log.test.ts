/**
 * Issue 11.9: the default log of a listening key server carries neither the
 * client's address nor the account ids in paths (it logs the route
 * pattern, status and duration); `logClientDetails` (the explicit debug
 * switch) adds both.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { call, createAccount, startServer } from './support.ts';

async function logOfBundleFetch(logClientDetails: boolean) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const server = await startServer({ logger: { level: 'info', stream } as never, settings: { logClientDetails } });
  try {
    const target = await createAccount(server);
    const me = await createAccount(server);
    expect((await call(server, 'GET', `/v1/keys/${target.accountId}/*`, { auth: me.auth })).status).toBe(200);
    expect((await call(server, 'GET', `/v1/accounts/${target.accountId}/devices?x=${target.accountId}`)).status).toBe(200);
    expect((await call(server, 'GET', `/v1/nope/${target.accountId}`)).status).toBe(404);
    return { log: lines.join(''), lines, target, me };
  } finally {
    await server.close();
  }
}

describe('request logging', () => {
  it('by default logs route patterns, statuses and durations: no client address, no account id', async () => {
    const { log, lines, target, me } = await logOfBundleFetch(false);
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(requests.map((r) => [r.method, r.route, r.status])).toEqual([
      ['POST', '/v1/accounts', 201],
      ['POST', '/v1/accounts', 201],
      ['GET', '/v1/keys/:accountId/:deviceId', 200],
      ['GET', '/v1/accounts/:accountId/devices', 200],
      ['GET', undefined, 404],
    ]);
    for (const r of requests) expect(typeof r.ms).toBe('number');
    // The only address in the log is the server's own, in fastify's "Server listening at" line (the client's is the same here).
    expect(lines.filter((l) => l.includes('127.0.0.1')).map((l) => JSON.parse(l).msg)).toEqual([expect.stringMatching(/^Server listening at http:\/\/127\.0\.0\.1:/)]);
    expect(log).not.toContain(target.accountId);
    expect(log).not.toContain(me.accountId);
    expect(log).not.toMatch(/remoteAddress|"ip"|"url"/);
  });

  it('with logClientDetails, request lines carry the client address and the URL', async () => {
    const { log, target } = await logOfBundleFetch(true);
    expect(log).toContain('"ip":"127.0.0.1"');
    expect(log).toContain(`"url":"/v1/keys/${target.accountId}/*"`);
  });
});
