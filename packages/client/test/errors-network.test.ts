/**
 * Issue 11 item 18: errors say what happened. A service that gives no HTTP
 * answer is a `NetworkError` whose code names the cause and whose message
 * carries the URL; a base URL's path is kept; `send()` after `close()` is
 * `CLOSED`. All against real sockets on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientError, NetworkError } from '../src/errors.ts';
import { requestJson } from '../src/http.ts';
import { KeyServerClient } from '../src/keyserver-client.ts';
import { RelayClient } from '../src/relay-client.ts';
import { useLocalServices } from './support/local-services.ts';

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
});

async function listen(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port on 127.0.0.1 where nothing listens (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failure(p: Promise<unknown>): Promise<NetworkError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetworkError);
  return error as NetworkError;
}

describe('network failures are distinct NetworkError codes with the URL', () => {
  it('connection refused', async () => {
    const port = await closedPort();
    const e = await failure(new KeyServerClient(`http://127.0.0.1:${port}`).devices('someone'));
    expect(e.code).toBe('CONNECTION_REFUSED');
    expect(e.url).toBe(`http://127.0.0.1:${port}/v1/accounts/someone/devices`);
    expect(e.message).toContain(`http://127.0.0.1:${port}/v1/accounts/someone/devices`);
    expect(e.service).toBe('key server');
  });

  it('connection reset (the service closes the socket without answering)', async () => {
    const port = await listen((req) => req.socket.destroy());
    const e = await failure(new KeyServerClient(`http://127.0.0.1:${port}`).devices('someone'));
    expect(e.code).toBe('CONNECTION_RESET');
    expect(e.url).toBe(`http://127.0.0.1:${port}/v1/accounts/someone/devices`);
  });

  it('DNS failure', async () => {
    const e = await failure(new KeyServerClient('http://no-such-host.invalid').devices('someone'));
    expect(e.code).toBe('DNS_FAILURE');
    expect(e.message).toContain('http://no-such-host.invalid/v1/accounts/someone/devices');
  });

  it('TLS failure (https to a plain-HTTP port)', async () => {
    const port = await listen((_req, res) => res.end('{}'));
    const e = await failure(new KeyServerClient(`https://127.0.0.1:${port}`).devices('someone'));
    expect(e.code).toBe('TLS_FAILURE');
    expect(e.url).toBe(`https://127.0.0.1:${port}/v1/accounts/someone/devices`);
  });

  it('timeout (the service accepts but never answers)', async () => {
    const port = await listen(() => {
      /* never answers */
    });
    const e = await failure(requestJson('relay', `http://127.0.0.1:${port}`, { method: 'GET', path: '/v1/messages', timeoutMs: 200 }));
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain('200 ms');
    expect(e.url).toBe(`http://127.0.0.1:${port}/v1/messages`);
  });
});

describe('base URL path', () => {
  it('http://host/prefix calls http://host/prefix/v1/...', async () => {
    const seen: string[] = [];
    const port = await listen((req, res) => {
      seen.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ devices: [{ deviceId: 1, registrationId: 7 }], messages: [], more: false }));
    });
    expect(await new KeyServerClient(`http://127.0.0.1:${port}/prefix`).devices('acc')).toEqual([{ deviceId: 1, registrationId: 7 }]);
    await new KeyServerClient(`http://127.0.0.1:${port}/prefix/`).devices('acc2');
    const relay = new RelayClient(`http://127.0.0.1:${port}/deep/prefix`, async () => 'token');
    await relay.fetch(5);
    expect(seen).toEqual(['/prefix/v1/accounts/acc/devices', '/prefix/v1/accounts/acc2/devices', '/deep/prefix/v1/messages?limit=5']);
    expect(relay.websocketUrl()).toBe(`ws://127.0.0.1:${port}/deep/prefix/v1/websocket`);
  });

  it('a base URL that is not http(s) or carries a query is INVALID_DATA', async () => {
    await expect(new KeyServerClient('ftp://127.0.0.1/').devices('a')).rejects.toMatchObject({ code: 'INVALID_DATA' });
    await expect(new KeyServerClient('http://127.0.0.1/?x=1').devices('a')).rejects.toMatchObject({ code: 'INVALID_DATA' });
  });
});

describe('send() after close()', () => {
  const local = useLocalServices();
  it('throws CLOSED', async () => {
    const alice = local.client();
    const bob = local.client();
    await alice.register();
    await bob.register();
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'before close' });
    await alice.close();
    const error = await alice.send(bob.address.account, { text: 'after close' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('CLOSED');
    await expect(alice.poll()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
