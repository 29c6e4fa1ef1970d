/**
 * Issue 11.6: when the key server refuses connections or never answers, a
 * send gets 503 KEYSERVER_UNAVAILABLE with Retry-After, within the
 * configured timeout — not a 500, and not after the 5 s it used to wait.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

let harness: RelayHarness | undefined;
let keyServer: Server | undefined;
const held: ServerResponse[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const r of held) r.destroy();
  held.length = 0;
  if (keyServer !== undefined) {
    keyServer.closeAllConnections();
    await new Promise<void>((r) => keyServer!.close(() => r()));
  }
  keyServer = undefined;
});

/**
 * A stand-in key server that lists device 1 of every account while `mode` is
 * 'up' (the relay authorizes credentials against it), and otherwise holds
 * every request without answering ('hang').
 */
async function standInKeyServer(): Promise<{ url: string; set(mode: 'up' | 'hang' | 'down'): Promise<void> }> {
  let mode: 'up' | 'hang' = 'up';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (mode === 'hang') {
      held.push(res);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ devices: [{ deviceId: 1, registrationId: 1 }] }));
  });
  keyServer = server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    set: async (next) => {
      if (next === 'down') {
        // Stop listening and drop kept-alive connections: the port now refuses.
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        keyServer = undefined;
        return;
      }
      mode = next;
    },
  };
}

/** A relay over a stand-in key server; the access key is registered while it is up, then it fails as `failure`; one send, timed. */
async function sendVia(failure: 'down' | 'hang', timeoutMs: number) {
  const ks = await standInKeyServer();
  harness = await startRelay({ devices: undefined, keyserverUrl: ks.url, keyserverTimeoutMs: timeoutMs });
  const id = newAccountId();
  const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
  expect((await harness.client.setAccessKey(id, harness.credential(id, 1), key)).status).toBe(204);
  await ks.set(failure);
  const t0 = performance.now();
  const r = await harness.client.send(id, key, [{ deviceId: 1, registrationId: 1, content: fakeSealed(1) }]);
  return { r, ms: performance.now() - t0 };
}

describe('key server down or slow (issue 11.6)', () => {
  it('connection refused: 503 KEYSERVER_UNAVAILABLE with Retry-After, at once', async () => {
    const { r, ms } = await sendVia('down', 2000);
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'KEYSERVER_UNAVAILABLE' });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(ms).toBeLessThan(1500);
  });

  it('a key server that accepts and never answers: 503 after the configured timeout', async () => {
    const { r, ms } = await sendVia('hang', 400);
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'KEYSERVER_UNAVAILABLE' });
    expect(r.headers.get('retry-after')).toBe('5');
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(2500);
  });
});
