/**
 * Graceful drain of a relay PROCESS (src/main.ts) on SIGTERM, under a
 * bounded loopback load: while it drains, /ready answers 503 and nothing
 * else is answered 5xx; a request in flight (its body still arriving when
 * the signal lands) completes; WebSocket clients are closed with 1012 and a
 * reason; the process exits 0. A request that never finishes is cut by the
 * bounded force-exit (exit 1 after --shutdown-timeout-ms).
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { FastifyInstance } from 'fastify';
import { deriveAccessKey, generateCurveKeyPair, generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { basicAuthHeader, buildKeyServer } from '@sealpost/keyserver';
import { freePort, RelayProcess } from '@sealpost/devkit/services';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const key = generateRelayCredentialKeyPair();
const dir = mkdtempSync(join(tmpdir(), 'relay-drain-'));
let keyServer: FastifyInstance;
let keyServerUrl: string;
let auth: string;
let accountId: string;

beforeAll(async () => {
  keyServer = await buildKeyServer({ docs: false, relayCredentialKey: key });
  await keyServer.listen({ host: '127.0.0.1', port: 0 });
  keyServerUrl = `http://127.0.0.1:${(keyServer.server.address() as { port: number }).port}`;
  const secret = randomBytes(32);
  const res = await fetch(`${keyServerUrl}/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identityKey: b64(generateCurveKeyPair().publicKey), registrationId: 321, deviceSecret: b64(secret) }),
  });
  ({ accountId } = (await res.json()) as { accountId: string });
  auth = basicAuthHeader(accountId, 1, secret);
}, 30_000);
afterAll(async () => {
  await keyServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function credential(relayUrl: string): Promise<string> {
  const res = await fetch(`${keyServerUrl}/v1/credentials/relay?audience=${encodeURIComponent(relayUrl)}`, { headers: { authorization: auth } });
  return ((await res.json()) as { token: string }).token;
}

/** Starts PUT access-key with half its body sent; `finish()` sends the rest and resolves with the status. */
function slowAccessKeyPut(relayUrl: string, token: string): Promise<{ finish: () => Promise<number> }> {
  const body = Buffer.from(JSON.stringify({ accessKey: b64(deriveAccessKey(new Uint8Array(randomBytes(32)))) }));
  return new Promise((resolve, reject) => {
    const req = request(`${relayUrl}/v1/accounts/${accountId}/access-key`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    const status = new Promise<number>((done, fail) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      });
      req.on('error', fail);
    });
    status.catch(() => {});
    req.on('error', reject);
    req.flushHeaders();
    req.write(body.subarray(0, 10), () => resolve({ finish: () => (req.end(body.subarray(10)), status) }));
  });
}

/** Keep-alive workers hammering the relay until `stop`; every answer's status (by path) and every connection error. */
function load(relayUrl: string, token: string, workers: number) {
  const statuses: { path: string; status: number; afterSignal: boolean }[] = [];
  const errors: string[] = [];
  let running = true;
  let signalled = false;
  const paths = ['/v1/messages', '/health', '/ready'];
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; running && i < 2000; i++) {
      const path = paths[(i + w) % paths.length]!;
      try {
        const res = await fetch(relayUrl + path, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        statuses.push({ path, status: res.status, afterSignal: signalled });
      } catch (e) {
        errors.push(String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message));
        if (signalled) await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    statuses,
    errors,
    signal: () => {
      signalled = true;
    },
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe('relay drain on SIGTERM', () => {
  it('under load: no 5xx but /ready, the in-flight request completes, WebSockets get 1012, exit 0', async () => {
    const port = await freePort();
    const relay = new RelayProcess(port, join(dir, 'drain.db'), keyServerUrl, key.publicKey, ['--metrics', 'off', '--shutdown-delay-ms', '400', '--log-level', 'info']);
    await relay.start();
    const token = await credential(relay.url);
    const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/v1/websocket`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

    const traffic = load(relay.url, token, 6);
    await new Promise((r) => setTimeout(r, 600));
    const inFlight = await slowAccessKeyPut(relay.url, token);
    const exited = relay.stop('SIGTERM');
    traffic.signal();
    await new Promise((r) => setTimeout(r, 150));
    const inFlightStatus = await inFlight.finish();
    const code = await exited;
    await traffic.stop();

    expect(code, relay.logs).toBe(0);
    expect(inFlightStatus).toBe(204);
    expect(await closed).toEqual({ code: 1012, reason: 'relay restarting; reconnect' });
    const after = traffic.statuses.filter((s) => s.afterSignal);
    expect(traffic.statuses.filter((s) => !s.afterSignal && s.status !== 200)).toEqual([]);
    // While draining it kept serving (the 400 ms delay), told probes it is not ready, and never failed a request.
    expect(after.filter((s) => s.path !== '/ready' && s.status === 200).length).toBeGreaterThan(0);
    expect(after.some((s) => s.path === '/ready' && s.status === 503)).toBe(true);
    expect(after.filter((s) => s.path !== '/ready' && s.status >= 500)).toEqual([]);
    // Once the listener closed, new attempts fail to connect (the load balancer's cue), nothing else.
    expect(traffic.errors.every((e) => ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'fetch failed', 'other side closed'].includes(e)), traffic.errors.join()).toBe(true);
    expect(relay.logs).toContain('shutting down');
    expect(relay.logs).toContain('"msg":"shut down"');
  }, 60_000);

  it('a request that never finishes is cut by the bounded force-exit: exit 1 after --shutdown-timeout-ms', async () => {
    const port = await freePort();
    const relay = new RelayProcess(port, join(dir, 'force.db'), keyServerUrl, key.publicKey, ['--metrics', 'off', '--shutdown-timeout-ms', '700']);
    await relay.start();
    const token = await credential(relay.url);
    const stuck = await slowAccessKeyPut(relay.url, token);
    const started = Date.now();
    const code = await relay.stop('SIGTERM');
    const took = Date.now() - started;
    expect(code, relay.logs).toBe(1);
    expect(took).toBeGreaterThanOrEqual(600);
    expect(took).toBeLessThan(5000);
    expect(relay.logs).toContain('shutdown took too long');
    await stuck.finish().catch(() => 0);
  }, 60_000);
});
