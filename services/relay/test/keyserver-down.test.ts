/**
 * Issue 11.6: when the key server refuses connections or never answers, a
 * send gets 503 KEYSERVER_UNAVAILABLE with Retry-After, within the
 * configured timeout — not a 500, and not after the 5 s it used to wait.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { freePort } from './support/world.ts';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

let harness: RelayHarness | undefined;
let silent: Server | undefined;
const held: Socket[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const s of held) s.destroy();
  held.length = 0;
  await new Promise<void>((r) => (silent === undefined ? r() : silent.close(() => r())));
  silent = undefined;
});

/** A relay whose key server is at `url`; one send to a registered account, timed. */
async function sendVia(url: string, timeoutMs: number) {
  harness = await startRelay({ devices: undefined, keyserverUrl: url, keyserverTimeoutMs: timeoutMs });
  const id = newAccountId();
  const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
  // Registering the access key does not involve the key server.
  expect((await harness.client.setAccessKey(id, harness.credential(id, 1), key)).status).toBe(204);
  const t0 = performance.now();
  const r = await harness.client.send(id, key, [{ deviceId: 1, registrationId: 1, content: fakeSealed(1) }]);
  return { r, ms: performance.now() - t0 };
}

describe('key server down or slow (issue 11.6)', () => {
  it('connection refused: 503 KEYSERVER_UNAVAILABLE with Retry-After, at once', async () => {
    const { r, ms } = await sendVia(`http://127.0.0.1:${await freePort()}`, 2000);
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'KEYSERVER_UNAVAILABLE' });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(ms).toBeLessThan(1500);
  });

  it('a key server that accepts and never answers: 503 after the configured timeout', async () => {
    silent = createServer((s) => {
      held.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const { r, ms } = await sendVia(`http://127.0.0.1:${port}`, 400);
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'KEYSERVER_UNAVAILABLE' });
    expect(r.headers.get('retry-after')).toBe('5');
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(2500);
  });
});
