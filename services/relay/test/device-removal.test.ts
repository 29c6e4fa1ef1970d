/**
 * Issue 11 item 2 (and the audience / `?token=` parts of item 11) end to
 * end: a listening key server and relay (the dev kit's
 * `startLocalServices`), real HTTP and WebSocket. After a linked device is
 * removed, its still-unexpired relay credential is refused everywhere
 * within seconds (poll, ack, access key, sync send; its WebSocket is
 * closed), its queue is purged, the next linked device gets a new id whose
 * envelopes the removed device cannot touch, and only the primary may
 * replace the account's access key.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '@sealpost/keyserver';
import { deriveAccessKey, generateIdentityKeyPair } from '@sealpost/protocol';
import { startLocalServices, type LocalServices } from '@sealpost/devkit/services';
import { fakeSealed } from './support/harness.ts';
import { RelayClient } from './support/relay-client.ts';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
let services: LocalServices;
let relay: RelayClient;

beforeAll(async () => {
  // Default authorization TTL (1 s) and socket revalidation interval (1 s).
  services = await startLocalServices();
  relay = new RelayClient(services.relayUrl);
});
afterAll(async () => services.close());

async function ks<T = any>(method: string, path: string, auth?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(services.keyServerUrl + path, {
    method,
    headers: { ...(auth === undefined ? {} : { authorization: auth }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text.length > 0 ? JSON.parse(text) : undefined) as T };
}

interface Login {
  accountId: string;
  deviceId: number;
  registrationId: number;
  auth: string;
}

async function createAccount(registrationId: number): Promise<Login> {
  const secret = randomBytes(32);
  const r = await ks('POST', '/v1/accounts', undefined, { identityKey: b64(generateIdentityKeyPair().publicKey), registrationId, deviceSecret: b64(secret) });
  expect(r.status).toBe(201);
  return { ...r.body, registrationId, auth: basicAuthHeader(r.body.accountId, r.body.deviceId, secret) };
}

async function link(primary: Login, registrationId: number): Promise<Login> {
  const code = (await ks('POST', '/v1/devices/provisioning-codes', primary.auth)).body.code;
  const secret = randomBytes(32);
  const r = await ks('POST', '/v1/devices/link', undefined, { provisioningCode: code, registrationId, deviceSecret: b64(secret) });
  expect(r.status).toBe(201);
  return { ...r.body, registrationId, auth: basicAuthHeader(r.body.accountId, r.body.deviceId, secret) };
}

async function relayToken(device: Login, audience = services.relayUrl): Promise<string> {
  const r = await ks('GET', `/v1/credentials/relay?audience=${encodeURIComponent(audience)}`, device.auth);
  expect(r.status).toBe(200);
  return r.body.token;
}

async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

describe('device removal at the relay', () => {
  it('refuses a removed device within seconds everywhere, closes its socket, purges its queue; ids are not reused', async () => {
    const primary = await createAccount(111);
    const laptop = await link(primary, 222);
    expect(laptop.deviceId).toBe(2);
    const account = primary.accountId;
    const [primaryToken, laptopToken] = [await relayToken(primary), await relayToken(laptop)];
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await relay.setAccessKey(account, primaryToken, accessKey)).status).toBe(204);
    const both = (n: number, devices: Login[]) => devices.map((d, i) => ({ deviceId: d.deviceId, registrationId: d.registrationId, content: fakeSealed(n + i) }));
    expect((await relay.send(account, accessKey, both(10, [primary, laptop]))).status).toBe(200);
    expect((await relay.send(account, accessKey, both(20, [primary, laptop]))).status).toBe(200);

    // The laptop reads one envelope over its WebSocket and leaves both queued (no ack).
    const socket = await relay.connect(laptopToken, { autoAck: false });
    await socket.waitFor(() => socket.received.length === 2);
    const closed = new Promise<{ code: number; at: number }>((resolve) => socket.ws.once('close', (code) => resolve({ code, at: Date.now() })));
    const laptopEnvelopes = socket.received.map((e) => e.id);

    // Removal at the key server.
    const removedAt = Date.now();
    expect((await ks('DELETE', '/v1/devices/2', primary.auth)).status).toBe(204);

    // The open socket is closed within seconds (revalidation interval + authorization TTL).
    const { code, at } = await Promise.race([closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('socket still open after 4 s')), 4000))]);
    expect(code).toBe(4403);
    expect(at - removedAt).toBeLessThan(4000);

    // The same, unexpired token is refused for everything.
    expect((await relay.poll(laptopToken)).status).toBe(401);
    expect((await relay.ack(laptopToken, laptopEnvelopes)).status).toBe(401);
    expect((await relay.setAccessKey(account, laptopToken, deriveAccessKey(new Uint8Array(32)))).status).toBe(401);
    await expect(relay.connect(laptopToken)).rejects.toMatchObject({ status: 401 });
    const syncSend = await fetch(`${services.relayUrl}/v1/messages/${account}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${laptopToken}` },
      body: JSON.stringify({ messages: [{ deviceId: 1, registrationId: 111, content: b64(fakeSealed(30)) }] }),
    });
    expect(syncSend.status).toBe(401);
    // Its queue is purged.
    const store = services.relay.relay.store;
    await eventually('queue purge', async () => (await store.depth(account, 2, Date.now())) === 0);

    // The next linked device gets a new id; the removed device's token cannot read or delete its envelopes.
    const phone = await link(primary, 333);
    expect(phone.deviceId).toBe(3);
    const phoneToken = await relayToken(phone);
    expect((await relay.send(account, accessKey, both(40, [primary, phone]))).status).toBe(200);
    const polled = await relay.poll(phoneToken);
    const phoneQueue = polled.body.messages;
    expect(phoneQueue.map((m) => m.content)).toEqual([fakeSealed(41)]);
    expect((await relay.ack(laptopToken, phoneQueue.map((m) => m.id))).status).toBe(401);
    expect((await relay.poll(phoneToken)).body.messages.map((m) => m.id)).toEqual(phoneQueue.map((m) => m.id));
    // The primary's own queue was never touched.
    expect((await relay.poll(primaryToken)).body.messages.map((m) => m.content)).toEqual([fakeSealed(10), fakeSealed(20), fakeSealed(40)]);

    await socket.close();
  });

  it('lets only the primary device replace the access key', async () => {
    const primary = await createAccount(121);
    const phone = await link(primary, 122);
    const [primaryToken, phoneToken] = [await relayToken(primary), await relayToken(phone)];
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await relay.setAccessKey(primary.accountId, primaryToken, accessKey)).status).toBe(204);
    const replaced = await relay.setAccessKey(primary.accountId, phoneToken, deriveAccessKey(new Uint8Array(32).fill(7)));
    expect([replaced.status, (replaced.body as any).error.code]).toEqual([403, 'FORBIDDEN']);
    // Contacts' sends with the real key still go through.
    const to = [primary, phone].map((d, i) => ({ deviceId: d.deviceId, registrationId: d.registrationId, content: fakeSealed(70 + i) }));
    expect((await relay.send(primary.accountId, accessKey, to)).status).toBe(200);
    expect((await relay.setAccessKey(primary.accountId, primaryToken, accessKey)).status).toBe(204);
  });

  it("purges an offline removed device's queue when the account's device list is next fetched", async () => {
    const primary = await createAccount(555);
    const tablet = await link(primary, 666);
    const primaryToken = await relayToken(primary);
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await relay.setAccessKey(primary.accountId, primaryToken, accessKey)).status).toBe(204);
    const to = [primary, tablet].map((d, i) => ({ deviceId: d.deviceId, registrationId: d.registrationId, content: fakeSealed(60 + i) }));
    expect((await relay.send(primary.accountId, accessKey, to)).status).toBe(200);
    const store = services.relay.relay.store;
    expect(await store.depth(primary.accountId, tablet.deviceId, Date.now())).toBe(1);
    // The tablet never contacts the relay again; the primary removes it and keeps polling.
    expect((await ks('DELETE', `/v1/devices/${tablet.deviceId}`, primary.auth)).status).toBe(204);
    const ms = await eventually('purge of the offline device', async () => {
      expect((await relay.poll(primaryToken)).status).toBe(200);
      return (await store.depth(primary.accountId, tablet.deviceId, Date.now())) === 0;
    });
    expect(ms).toBeLessThan(4000);
  });

  it('refuses a credential for another audience (issue 11 item 11)', async () => {
    const primary = await createAccount(444);
    const token = await relayToken(primary);
    expect((await relay.poll(token)).status).toBe(200);
    const foreign = await relayToken(primary, 'https://other-relay.example');
    const refused = await relay.poll(foreign);
    expect([refused.status, (refused.body as any).error?.code]).toEqual([401, 'UNAUTHORIZED']);
    await expect(relay.connect(foreign)).rejects.toMatchObject({ status: 401 });
  });

  it('accepts ?token= only on the WebSocket upgrade, never on HTTP routes (issue 11 item 11)', async () => {
    const primary = await createAccount(445);
    const token = await relayToken(primary);

    const q = `token=${encodeURIComponent(token)}`;
    const accessKey = b64(deriveAccessKey(new Uint8Array(32).fill(1)));
    const put = await fetch(`${services.relayUrl}/v1/accounts/${primary.accountId}/access-key?${q}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessKey }),
    });
    expect(put.status).toBe(401);
    const del = await fetch(`${services.relayUrl}/v1/messages/${'A'.repeat(22)}?${q}`, { method: 'DELETE' });
    expect(del.status).toBe(401);
    const ack = await fetch(`${services.relayUrl}/v1/messages/acknowledge?${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: ['A'.repeat(22)] }),
    });
    expect(ack.status).toBe(401);
    // The WebSocket upgrade still takes it (browsers cannot set headers there).
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`${services.relayUrl.replace(/^http/, 'ws')}/v1/websocket?${q}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    });
    ws.close();
  });
});
