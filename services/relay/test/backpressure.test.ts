/**
 * Issue 11.3 (in process, over real sockets): pushing stops while a socket
 * has more than `wsMaxBufferedBytes` buffered and resumes on drain; the
 * in-flight window is bounded in bytes; one live socket per device (the old
 * one is closed with 4409); a global connection cap answers 503 on upgrade.
 * The memory and latency figures under 1,000 hostile sockets are in
 * slow-readers.test.ts (child process) and scripts/relay-slow-readers.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { deriveAccessKey } from '@sealpost/protocol';
import { DeliveryHub } from '../src/index.ts';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';
import { closeOf, openSocket, openStalledSocket } from './support/proc.ts';

let harness: RelayHarness | undefined;
const stalled: Socket[] = [];
afterEach(async () => {
  for (const s of stalled) s.destroy();
  stalled.length = 0;
  await harness?.close();
  harness = undefined;
});

async function filledDevice(h: RelayHarness, count: number, bytes: number) {
  const id = newAccountId();
  h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 5 }]);
  const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
  const cred = h.credential(id, 1);
  expect((await h.client.setAccessKey(id, cred, key)).status).toBe(204);
  for (let i = 0; i < count; i++) {
    expect((await h.client.send(id, key, [{ deviceId: 1, registrationId: 5, content: fakeSealed(i, bytes) }])).status).toBe(200);
  }
  return { id, key, cred };
}

/** The relay's own end of every open WebSocket. */
function serverSockets(h: RelayHarness): WebSocket[] {
  return [...(h.app as unknown as { websocketServer: { clients: Set<WebSocket> } }).websocketServer.clients];
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('backpressure and connection limits (issue 11.3)', () => {
  it('a socket that never reads holds at most the buffer bound plus one frame in the relay; reading resumes the push', async () => {
    harness = await startRelay({ limits: { wsMaxBufferedBytes: 256 * 1024 } });
    const h = harness;
    const d = await filledDevice(h, 80, 100 * 1024);
    stalled.push(await openStalledSocket(h.client.baseUrl, d.cred));
    await settle(1500);
    const [server] = serverSockets(h);
    const frame = Math.ceil((100 * 1024 * 4) / 3) + 200;
    // Before: the whole 100-envelope window (10.9 MB as JSON) was written regardless.
    expect(server!.bufferedAmount).toBeLessThanOrEqual(256 * 1024 + frame);
    stalled[0]!.destroy();

    // A reader that pauses, then resumes, gets everything in order once the socket drains.
    const ws = await openSocket(h.client.baseUrl, d.cred);
    ws.pause();
    await settle(1000);
    expect(serverSockets(h).every((s) => s.bufferedAmount <= 256 * 1024 + frame)).toBe(true);
    const got: number[] = [];
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as { type: string; id: string; content: string };
      if (f.type !== 'envelope') return;
      got.push(Buffer.from(f.content, 'base64')[2]!);
      ws.send(JSON.stringify({ type: 'ack', id: f.id }));
    });
    ws.resume();
    const deadline = Date.now() + 20_000;
    while (got.length < 80 && Date.now() < deadline) await settle(50);
    expect(got).toEqual(Array.from({ length: 80 }, (_, i) => i));
    ws.close();
  });

  it('stalled sockets share one budget for frames over the buffer bound', async () => {
    harness = await startRelay({ limits: { wsLargeFrameBudgetBytes: 700 * 1024, sourceBytesBurst: 0 } });
    const h = harness;
    const devices = [];
    // More than the kernel takes for a socket that never reads (a few MB), so the rest stays in the relay.
    for (let i = 0; i < 12; i++) devices.push(await filledDevice(h, 24, 250 * 1024));
    for (const d of devices) stalled.push(await openStalledSocket(h.client.baseUrl, d.cred));
    await settle(1500);
    const held = serverSockets(h).reduce((n, s) => n + s.bufferedAmount, 0);
    // Each 250 KiB envelope is a 341 KB frame: without the shared budget every stalled socket kept one.
    expect(held).toBeLessThanOrEqual(700 * 1024 + 12 * 64 * 1024);
  });

  it('the in-flight window is bounded in bytes (an empty window still takes one large envelope)', async () => {
    harness = await startRelay({ limits: { wsWindowBytes: 300 * 1024 } });
    const h = harness;
    const d = await filledDevice(h, 10, 100 * 1024);
    const s = await h.client.connect(d.cred, { autoAck: false });
    await s.waitFor(() => s.received.length === 3);
    await settle(300);
    expect(s.received).toHaveLength(3);
    s.ack(s.received.map((e) => e.id));
    await s.waitFor(() => s.received.length === 6);
    await settle(200);
    expect(s.received).toHaveLength(6);
    await s.close();
    harness.app.relay.limits.wsWindowBytes = 1000;
    const lone = await h.client.connect(d.cred, { autoAck: false });
    await lone.waitFor(() => lone.received.length === 1);
    await settle(200);
    expect(lone.received).toHaveLength(1);
    await lone.close();
  });

  it('one live socket per device: a new connection replaces the old (4409)', async () => {
    harness = await startRelay();
    const h = harness;
    const d = await filledDevice(h, 1, 100);
    const first = await h.client.connect(d.cred, { autoAck: false });
    await first.waitFor(() => first.received.length === 1);
    const firstClosed = closeOf(first.ws);
    const second = await h.client.connect(d.cred, { autoAck: true });
    expect(await firstClosed).toEqual({ code: 4409, reason: 'replaced by a newer connection of this device' });
    await second.waitFor(() => second.received.length === 1);
    expect((await h.client.send(d.id, d.key, [{ deviceId: 1, registrationId: 5, content: fakeSealed(2) }])).status).toBe(200);
    await second.waitFor(() => second.received.length === 2);
    // Hundreds of sockets for one credential leave one open.
    const many = await Promise.all(Array.from({ length: 50 }, () => openSocket(h.client.baseUrl, d.cred)));
    await settle(300);
    expect(serverSockets(h).filter((s) => s.readyState === s.OPEN)).toHaveLength(1);
    for (const m of many) m.terminate();
    await second.close();
  });

  it('global connection cap: 503 with Retry-After before the upgrade; a device may replace its own socket', async () => {
    harness = await startRelay({ limits: { wsMaxConnections: 2 } });
    const h = harness;
    const [ida, idb, idc] = [newAccountId(), newAccountId(), newAccountId()];
    for (const id of [ida, idb, idc]) h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 1 }]);
    const a = await openSocket(h.client.baseUrl, h.credential(ida, 1));
    const b = await openSocket(h.client.baseUrl, h.credential(idb, 1));
    await expect(openSocket(h.client.baseUrl, h.credential(idc, 1))).rejects.toMatchObject({ status: 503, retryAfter: '5' });
    const aClosed = closeOf(a);
    const a2 = await openSocket(h.client.baseUrl, h.credential(ida, 1));
    expect((await aClosed).code).toBe(4409);
    b.close();
    await closeOf(b);
    await settle(50);
    const c = await openSocket(h.client.baseUrl, h.credential(idc, 1));
    a2.close();
    c.close();
  });

  it('DeliveryHub.disconnectDevice closes the device sockets with the given code', async () => {
    const hub = new DeliveryHub();
    harness = await startRelay({ delivery: hub });
    const h = harness;
    const id = newAccountId();
    h.directory.accounts.set(id, [{ deviceId: 3, registrationId: 1 }]);
    const ws = await openSocket(h.client.baseUrl, h.credential(id, 3));
    const closed = closeOf(ws);
    await settle(50);
    expect(hub.disconnectDevice(id, 3, 4403, 'device removed')).toBe(1);
    expect(await closed).toEqual({ code: 4403, reason: 'device removed' });
  });
});
