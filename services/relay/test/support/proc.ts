/** Reading a child process's memory and CPU time from /proc (Linux), for the relay load tests and scripts. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

/** Resident set size of `pid`, bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** User + system CPU time of `pid`, ms (from /proc/<pid>/stat, at 100 clock ticks a second). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resolves with the close code (and reason) of a client WebSocket, or rejects after `timeoutMs`. */
export function closeOf(ws: WebSocket, timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve({ code: -1, reason: 'already closed' });
    const t = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
    ws.once('close', (code, reason) => {
      clearTimeout(t);
      resolve({ code, reason: reason.toString('utf8') });
    });
  });
}

/** Opens a raw `ws` client with a bearer credential; rejects with the HTTP status on refusal. */
export function openSocket(baseUrl: string, credential: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/websocket`, { headers: { authorization: `Bearer ${credential}` } });
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`websocket refused: ${res.statusCode}`), { status: res.statusCode, retryAfter: res.headers['retry-after'] })),
    );
    ws.once('error', reject);
  });
}

/**
 * A hostile reader: a raw TCP connection that completes the WebSocket
 * upgrade and then never reads again (the relay's writes pile up in the
 * kernel and then in the relay, unless it applies backpressure).
 */
export function openStalledSocket(baseUrl: string, credential: string): Promise<Socket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const s = connect({ host: url.hostname, port: Number(url.port) });
    s.on('error', () => undefined);
    let head = '';
    s.once('connect', () => {
      s.write(
        `GET /v1/websocket HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${credential}\r\n\r\n`,
      );
    });
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.off('data', onData);
      s.pause();
      if (head.startsWith('HTTP/1.1 101')) resolve(s);
      else {
        s.destroy();
        reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      }
    };
    s.on('data', onData);
  });
}
