/**
 * The relay's per-request device check (issue 11 item 2) over real HTTP and
 * WebSocket, with an editable device directory standing in for the key
 * server: answers are at most the authorization TTL old and shared by
 * concurrent requests, a replaced registration id is refused without
 * touching the current device's queue, an unreachable key server is a 503
 * with Retry-After (and closes no open socket), and the TTL cannot be set
 * above 2 s.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { buildRelay, loadConfig } from '../src/index.ts';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

let harness: RelayHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('device authorization', () => {
  it('asks the directory once per account per TTL; concurrent requests share one fetch', async () => {
    harness = await startRelay({ deviceAuthTtlMs: 1000 });
    const h = harness;
    const id = newAccountId();
    h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 5 }]);
    const token = h.credential(id, 1);
    const polls = await Promise.all(Array.from({ length: 20 }, () => h.client.poll(token)));
    expect(polls.map((p) => p.status)).toEqual(Array(20).fill(200));
    expect(h.directory.fetches).toBe(1);
    await h.client.poll(token);
    expect(h.directory.fetches).toBe(1);
    await new Promise((r) => setTimeout(r, 1050));
    await h.client.poll(token);
    expect(h.directory.fetches).toBe(2);
    // Removed: refused once the cached answer is TTL old.
    h.directory.accounts.set(id, []);
    await new Promise((r) => setTimeout(r, 1050));
    const refused = await h.client.poll(token);
    expect([refused.status, (refused.body as any).error.code]).toEqual([401, 'UNAUTHORIZED']);
    // A confirmed removal is remembered: retries do not reach the key server.
    const before = h.directory.fetches;
    for (let i = 0; i < 5; i++) expect((await h.client.poll(token)).status).toBe(401);
    expect(h.directory.fetches).toBe(before);
  });

  it('a device newer than the cached list is authorized (re-asked), and its queue is kept', async () => {
    harness = await startRelay({ deviceAuthTtlMs: 2000 });
    const h = harness;
    const id = newAccountId();
    h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 11 }]);
    const key = deriveAccessKey(new Uint8Array(32).fill(5));
    expect((await h.client.setAccessKey(id, h.credential(id, 1), key)).status).toBe(204); // caches [1]
    h.directory.accounts.set(id, [
      { deviceId: 1, registrationId: 11 },
      { deviceId: 2, registrationId: 22 },
    ]);
    const to = [
      { deviceId: 1, registrationId: 11, content: fakeSealed(1) },
      { deviceId: 2, registrationId: 22, content: fakeSealed(2) },
    ];
    expect((await h.client.send(id, key, to)).status).toBe(200);
    const fetches = h.directory.fetches;
    const polled = await h.client.poll(h.credential(id, 2));
    expect(polled.status).toBe(200);
    expect(polled.body.messages.map((m) => m.content)).toEqual([fakeSealed(2)]);
    expect(h.directory.fetches).toBe(fetches + 1); // the cached list lacked it: asked once more
    expect((await h.client.poll(h.credential(id, 2))).body.messages).toHaveLength(1);
  });

  it('refuses a credential of an earlier registration id and keeps the current device queue', async () => {
    harness = await startRelay();
    const h = harness;
    const id = newAccountId();
    h.directory.accounts.set(id, [
      { deviceId: 1, registrationId: 11 },
      { deviceId: 2, registrationId: 22 },
    ]);
    const key = deriveAccessKey(new Uint8Array(32).fill(4));
    expect((await h.client.setAccessKey(id, h.credential(id, 1), key)).status).toBe(204);
    expect(
      (
        await h.client.send(id, key, [
          { deviceId: 1, registrationId: 11, content: fakeSealed(1) },
          { deviceId: 2, registrationId: 22, content: fakeSealed(2) },
        ])
      ).status,
    ).toBe(200);
    const old = h.credential(id, 2, undefined, { registrationId: 21 });
    const refused = await h.client.poll(old);
    expect(refused.status).toBe(401);
    expect((refused.body as any).error.message).toMatch(/replaced/);
    expect((await h.client.poll(h.credential(id, 2))).body.messages.map((m) => m.content)).toEqual([fakeSealed(2)]);
  });

  it('answers 503 with Retry-After when the key server cannot be asked; open sockets stay open', async () => {
    harness = await startRelay({ deviceAuthTtlMs: 100, deviceRevalidateMs: 100 });
    const h = harness;
    const id = newAccountId();
    h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 9 }]);
    const token = h.credential(id, 1);
    const socket = await h.client.connect(token);
    h.directory.failing = true;
    await new Promise((r) => setTimeout(r, 250));
    const res = await fetch(`${h.client.baseUrl}/v1/messages`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as any).error.code).toBe('KEYSERVER_UNAVAILABLE');
    await new Promise((r) => setTimeout(r, 300)); // several revalidation passes, all failing
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    h.directory.failing = false;
    expect((await h.client.poll(token)).status).toBe(200);
    await socket.close();
  });

  it('cannot be configured to trust a device list for more than 2 s', async () => {
    const base = ['--keyserver-url', 'http://127.0.0.1:1', '--keyserver-public-key', Buffer.alloc(32).toString('base64')];
    expect(loadConfig([...base, '--device-auth-ttl-ms', '2000'], {}).deviceAuthTtlMs).toBe(2000);
    expect(() => loadConfig([...base, '--device-auth-ttl-ms', '2001'], {})).toThrow(/device-auth-ttl-ms/);
    await expect(buildRelay({ verifyCredential: () => undefined, devices: { devices: async () => [] }, deviceAuthTtlMs: 5000 })).rejects.toThrow(RangeError);
  });
});
