/**
 * The relay's production runtime over real HTTP/WebSocket: /ready from the
 * store, metrics that move (queue depths sampled from the store, WebSocket
 * counts, per route pattern without account ids), and trustProxy for the
 * per-source send budget (X-Forwarded-For only from a trusted proxy).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';
import type { RelayOptions } from '../src/index.ts';

let harness: RelayHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

async function scrape(h: RelayHarness): Promise<string> {
  const res = await fetch(`${h.client.baseUrl}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** A one-device account with a registered access key. */
async function account(h: RelayHarness) {
  const id = newAccountId();
  h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 7 }]);
  const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
  const credential = h.credential(id, 1);
  expect((await h.client.setAccessKey(id, credential, accessKey)).status).toBe(204);
  return { id, accessKey, credential };
}

function sendFrom(h: RelayHarness, to: { id: string; accessKey: Uint8Array }, forwardedFor?: string) {
  return fetch(`${h.client.baseUrl}/v1/messages/${to.id}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'unidentified-access-key': Buffer.from(to.accessKey).toString('base64'),
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
    body: JSON.stringify({ messages: [{ deviceId: 1, registrationId: 7, content: Buffer.from(fakeSealed(1)).toString('base64') }] }),
  }).then((r) => r.status);
}

describe('relay runtime', () => {
  it('/ready follows the store and draining', async () => {
    harness = await startRelay();
    expect((await fetch(`${harness.client.baseUrl}/ready`)).status).toBe(200);
    harness.app.runtime.startDraining();
    const res = await fetch(`${harness.client.baseUrl}/ready`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_READY');
  });

  it('metrics: queue depths and WebSocket counts move; route patterns carry no account ids', async () => {
    harness = await startRelay({ runtime: { metricsRoute: true, metricsSampleMs: 0 } });
    const h = harness;
    const bob = await account(h);
    const empty = await scrape(h);
    expect(sample(empty, 'sealpost_relay_queued_envelopes')).toBe(0);
    expect(sample(empty, 'sealpost_relay_websockets_open')).toBe(0);

    for (let i = 0; i < 3; i++) expect(await sendFrom(h, bob)).toBe(200);
    const queued = await scrape(h);
    expect(sample(queued, 'sealpost_relay_queued_envelopes', { service: 'relay' })).toBe(3);
    expect(sample(queued, 'sealpost_relay_queued_devices')).toBe(1);
    expect(sample(queued, 'sealpost_relay_queue_max_depth')).toBe(3);
    expect(sample(queued, 'sealpost_relay_queued_bytes')).toBe(3 * fakeSealed(1).length);
    expect(sample(queued, 'sealpost_http_request_duration_seconds_count', { method: 'PUT', route: '/v1/messages/:accountId', status_code: '200' })).toBe(3);
    expect(queued).not.toContain(bob.id);

    const socket = await h.client.connect(bob.credential);
    await socket.waitFor(() => socket.received.length === 3 && socket.queueEmpty);
    const open = await scrape(h);
    expect(sample(open, 'sealpost_relay_websockets_open')).toBe(1);
    await new Promise<void>((resolve) => {
      socket.ws.once('close', () => resolve());
      socket.ws.close();
    });
    for (let i = 0; i < 50 && sample(await scrape(h), 'sealpost_relay_queued_envelopes') !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    const after = await scrape(h);
    expect(sample(after, 'sealpost_relay_queued_envelopes')).toBe(0);
    expect(sample(after, 'sealpost_relay_websockets_open')).toBe(0);
  });

  describe('trustProxy and the per-source send budget', () => {
    const oneSend: Partial<RelayOptions> = { limits: { sourceBurst: 1, sourcePerSecond: 0.001 } };

    it('unset: every sender behind this peer is one source, whatever X-Forwarded-For says', async () => {
      harness = await startRelay(oneSend);
      const bob = await account(harness);
      expect(await sendFrom(harness, bob, '198.51.100.1')).toBe(200);
      expect(await sendFrom(harness, bob, '198.51.100.2')).toBe(429);
    });

    it('the peer is a trusted proxy: each forwarded client is its own source', async () => {
      harness = await startRelay({ ...oneSend, trustProxy: ['loopback'] });
      const bob = await account(harness);
      expect(await sendFrom(harness, bob, '198.51.100.1')).toBe(200);
      expect(await sendFrom(harness, bob, '198.51.100.2')).toBe(200);
      expect(await sendFrom(harness, bob, '198.51.100.1')).toBe(429);
    });
  });
});
