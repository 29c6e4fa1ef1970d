/**
 * Local test sites for the link-preview tests, all on 127.0.0.1: an HTTPS
 * server with a certificate made at test time (selfsigned; SAN localhost +
 * 127.0.0.1), a TCP server that accepts and never speaks, and an HTTP
 * CONNECT proxy that records the targets it was asked for.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { generate } from 'selfsigned';

export interface TestCertificate {
  key: string;
  cert: string;
}

export async function makeCertificate(): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

export type Handler = (req: IncomingMessage, res: ServerResponse, origin: string) => void;

export interface HttpsSite {
  origin: string;
  port: number;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

function portOf(server: HttpServer | HttpsServer | TcpServer): number {
  return (server.address() as AddressInfo).port;
}

async function listen(server: HttpServer | HttpsServer | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return portOf(server);
}

/** An HTTPS site on 127.0.0.1 answering `routes[path]` (404 otherwise). */
export async function startHttpsSite(certificate: TestCertificate, routes: Record<string, Handler>): Promise<HttpsSite> {
  const requests: string[] = [];
  let origin = '';
  const sockets = new Set<Socket>();
  const server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    requests.push(req.url ?? '');
    const handler = routes[(req.url ?? '').split('?')[0] ?? ''];
    if (handler === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    handler(req, res, origin);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  origin = `https://127.0.0.1:${port}`;
  return {
    origin,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TCP server that accepts connections and never sends a byte. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ConnectProxy {
  url: string;
  /** CONNECT targets requested (`host:port`). */
  targets: string[];
  close(): Promise<void>;
}

/** An HTTP CONNECT proxy on 127.0.0.1; `refuse` makes it answer 403 to every CONNECT. */
export async function startConnectProxy(options: { refuse?: boolean } = {}): Promise<ConnectProxy> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    if (options.refuse === true) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const match = /^(.+):(\d+)$/.exec(req.url ?? '');
    if (match === null) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const upstream = connect(Number(match[2]), match[1]!.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => sockets.delete(upstream));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
