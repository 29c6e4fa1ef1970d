/**
 * The relay over real HTTP/WebSocket on loopback: access keys, device-set
 * checks (409/410), queues, polling, WebSocket push, acknowledgement,
 * expiry, limits — and that no bad request loses what is already queued.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { x25519GenerateKeyPair } from '@sealpost/protocol/primitives';
import { parseV2SentMessage, sealV2MultiRecipient, splitV2ForRecipient } from '@sealpost/protocol/sealed-sender';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
let harness: RelayHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** An account with two devices and a registered access key. */
async function account(h: RelayHarness, regIds: [number, number] = [101, 202]) {
  const id = newAccountId();
  h.directory.accounts.set(id, [
    { deviceId: 1, registrationId: regIds[0] },
    { deviceId: 2, registrationId: regIds[1] },
  ]);
  const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
  const cred1 = h.credential(id, 1);
  const cred2 = h.credential(id, 2);
  expect((await h.client.setAccessKey(id, cred1, accessKey)).status).toBe(204);
  const both = (a: Uint8Array, b: Uint8Array) => [
    { deviceId: 1, registrationId: regIds[0], content: a },
    { deviceId: 2, registrationId: regIds[1], content: b },
  ];
  return { id, accessKey, cred1, cred2, both };
}

describe('relay routes', () => {
  it('derives the unidentified-access key as Signal does (libsignal ProfileKey.deriveAccessKey)', async () => {
    const { ProfileKey } = await import('@signalapp/libsignal-client/dist/zkgroup/index.js');
    for (let i = 0; i < 4; i++) {
      const pk = new Uint8Array(randomBytes(32));
      expect(deriveAccessKey(pk)).toEqual(new ProfileKey(Buffer.from(pk)).deriveAccessKey());
    }
  });

  it('access keys: only the account may register one; senders need the right one', async () => {
    harness = await startRelay();
    const h = harness;
    const a = await account(h);
    const other = await account(h);
    // Registering for another account, without or with a bad credential.
    const r403 = await h.client.setAccessKey(a.id, other.cred1, a.accessKey);
    expect(r403.status).toBe(403);
    expect(r403.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await h.client.setAccessKey(a.id, 'v1.bad.token', a.accessKey)).status).toBe(401);
    const expired = h.credential(a.id, 1, Date.now() - 1);
    expect((await h.client.setAccessKey(a.id, expired, a.accessKey)).status).toBe(401);

    const env = a.both(fakeSealed(1), fakeSealed(2));
    for (const key of [undefined, 'not-base64!', b64(new Uint8Array(15)), other.accessKey, deriveAccessKey(new Uint8Array(32))]) {
      const r = await h.client.send(a.id, key, env);
      expect(r.status).toBe(401);
      expect(r.body.error).toMatchObject({ code: 'UNAUTHORIZED_ACCESS' });
    }
    // Unknown accounts answer exactly like a wrong key (no account-existence oracle).
    const unknown = await h.client.send(newAccountId(), a.accessKey, env);
    expect(unknown.status).toBe(401);
    expect((await h.client.send(a.id, a.accessKey, env)).body).toEqual({ accepted: 2 });
    expect((await h.client.poll(a.cred1)).body.messages.map((m) => m.content)).toEqual([fakeSealed(1)]);
    expect((await h.client.poll(a.cred2)).body.messages.map((m) => m.content)).toEqual([fakeSealed(2)]);
  });

  it('device-set checks: 409 with missing/extra lists, 410 with stale list, fixed sets go through', async () => {
    harness = await startRelay();
    const h = harness;
    const a = await account(h, [11, 22]);
    const other = await account(h);
    const one = [{ deviceId: 1, registrationId: 11, content: fakeSealed(1) }];
    const r1 = await h.client.send(a.id, a.accessKey, one);
    expect(r1.status).toBe(409);
    expect(r1.body.error).toMatchObject({ code: 'MISMATCHED_DEVICES', missingDevices: [2], extraDevices: [] });

    const three = [...a.both(fakeSealed(1), fakeSealed(2)), { deviceId: 3, registrationId: 33, content: fakeSealed(3) }];
    const r2 = await h.client.send(a.id, a.accessKey, three);
    expect(r2.status).toBe(409);
    expect(r2.body.error).toMatchObject({ missingDevices: [], extraDevices: [3] });

    const stale = [
      { deviceId: 1, registrationId: 11, content: fakeSealed(1) },
      { deviceId: 2, registrationId: 23, content: fakeSealed(2) },
    ];
    const r3 = await h.client.send(a.id, a.accessKey, stale);
    expect(r3.status).toBe(410);
    expect(r3.body.error).toMatchObject({ code: 'STALE_DEVICES', staleDevices: [2] });

    const dup = [
      { deviceId: 1, registrationId: 11, content: fakeSealed(1) },
      { deviceId: 1, registrationId: 11, content: fakeSealed(1) },
    ];
    expect((await h.client.send(a.id, a.accessKey, dup)).body.error).toMatchObject({ code: 'DUPLICATE_DEVICE' });

    // A device linked after the relay cached the list: the sender's new set is accepted after one refetch.
    expect((await h.client.send(a.id, a.accessKey, a.both(fakeSealed(1), fakeSealed(2)))).status).toBe(200);
    h.directory.accounts.get(a.id)!.push({ deviceId: 3, registrationId: 33 });
    const before = h.directory.fetches;
    expect((await h.client.send(a.id, a.accessKey, three)).status).toBe(200);
    expect(h.directory.fetches).toBe(before + 1);
    // Cached now: no further fetches for a matching send.
    expect((await h.client.send(a.id, a.accessKey, three)).status).toBe(200);
    expect(h.directory.fetches).toBe(before + 1);
    // Sync copies: a device of the account itself, showing its relay credential, addresses only its siblings.
    const syncUrl = `${h.client.baseUrl}/v1/messages/${a.id}`;
    const sync = (credential: string | undefined, deviceIds: number[]) =>
      fetch(syncUrl, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          'unidentified-access-key': b64(a.accessKey),
          ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
        },
        body: JSON.stringify({
          messages: deviceIds.map((d) => ({ deviceId: d, registrationId: d === 1 ? 11 : d === 2 ? 22 : 33, content: b64(fakeSealed(0x50 + d)) })),
        }),
      });
    expect((await sync(a.cred1, [2, 3])).status).toBe(200);
    expect((await sync(undefined, [2, 3])).status).toBe(409);
    expect((await sync(other.cred1, [2, 3])).status).toBe(403);
    expect((await sync('v1.bad.token', [2, 3])).status).toBe(401);
    expect((await h.client.poll(a.cred2)).body.messages.map((m) => m.content).at(-1)).toEqual(fakeSealed(0x52));
    // Account gone from the key server: 404.
    h.directory.accounts.delete(a.id);
    const gone = await h.client.send(a.id, a.accessKey, one);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
  });

  it('bad inputs get clear 4xx and lose nothing already queued', async () => {
    harness = await startRelay({ limits: { maxEnvelopeBytes: 1024, maxQueueDepth: 5 } });
    const h = harness;
    const a = await account(h, [5, 6]);
    const queued = [fakeSealed(0x101), fakeSealed(0x102), fakeSealed(0x103)];
    for (const q of queued) expect((await h.client.send(a.id, a.accessKey, a.both(q, q))).status).toBe(200);

    const url = `${h.client.baseUrl}/v1/messages/${a.id}`;
    const raw = (body: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', 'unidentified-access-key': b64(a.accessKey), ...headers }, body });
    const cases: Array<[string, () => Promise<{ status: number; code: unknown }>]> = [
      ['oversized envelope', async () => { const r = await h.client.send(a.id, a.accessKey, a.both(fakeSealed(9, 1025), fakeSealed(9))); return { status: r.status, code: r.body.error?.code }; }],
      ['body over the limit', async () => { const r = await raw(JSON.stringify({ messages: [{ deviceId: 1, registrationId: 5, content: 'A'.repeat(200_000) }] })); return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }; }],
      ['malformed JSON', async () => { const r = await raw('{"messages": ['); return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }; }],
      ['wrong types', async () => { const r = await raw(JSON.stringify({ messages: [{ deviceId: 'one', registrationId: 5, content: 'AA==' }] })); return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }; }],
      ['bad base64', async () => { const r = await h.client.send(a.id, a.accessKey, a.both(fakeSealed(1), fakeSealed(1)).map((m) => ({ ...m, content: 'abc$' }))); return { status: r.status, code: r.body.error?.code }; }],
      ['not a sealed envelope', async () => { const r = await h.client.send(a.id, a.accessKey, a.both(new Uint8Array([0x08, 1, 2]), fakeSealed(1))); return { status: r.status, code: r.body.error?.code }; }],
      ['unknown fields', async () => { const r = await raw(JSON.stringify({ messages: [{ deviceId: 1, registrationId: 5, content: 'EQ==', sender: 'x' }] })); return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }; }],
      ['wrong device list', async () => { const r = await h.client.send(a.id, a.accessKey, [{ deviceId: 1, registrationId: 5, content: fakeSealed(1) }]); return { status: r.status, code: r.body.error?.code }; }],
      ['stale registration id', async () => { const r = await h.client.send(a.id, a.accessKey, a.both(fakeSealed(1), fakeSealed(1)).map((m) => ({ ...m, registrationId: 7 }))); return { status: r.status, code: r.body.error?.code }; }],
      ['bad access key', async () => { const r = await h.client.send(a.id, new Uint8Array(16), a.both(fakeSealed(1), fakeSealed(1))); return { status: r.status, code: r.body.error?.code }; }],
      ['bad auth on poll', async () => { const r = await h.client.poll('v1.x.y'); return { status: r.status, code: (r.body as { error?: { code: string } }).error?.code }; }],
      ['bad auth on ack', async () => { const r = await h.client.ack('nope', ['AAAAAAAAAAAAAAAAAAAAAA']); return { status: r.status, code: (r.body as unknown as { error: { code: string } }).error.code }; }],
      ['bad envelope id', async () => { const r = await fetch(`${h.client.baseUrl}/v1/messages/not-an-id`, { method: 'DELETE', headers: { authorization: `Bearer ${a.cred1}` } }); return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }; }],
      ['unknown envelope id', async () => { const r = await fetch(`${h.client.baseUrl}/v1/messages/AAAAAAAAAAAAAAAAAAAAAA`, { method: 'DELETE', headers: { authorization: `Bearer ${a.cred1}` } }); return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code }; }],
      ['bad account id', async () => { const r = await h.client.send('../etc', a.accessKey, a.both(fakeSealed(1), fakeSealed(1))); return { status: r.status, code: r.body.error?.code }; }],
    ];
    const expected: Record<string, [number, string]> = {
      'oversized envelope': [413, 'ENVELOPE_TOO_LARGE'],
      'body over the limit': [413, 'BODY_TOO_LARGE'],
      'malformed JSON': [400, 'INVALID_JSON'],
      'wrong types': [400, 'INVALID_REQUEST'],
      'bad base64': [400, 'INVALID_REQUEST'],
      'not a sealed envelope': [400, 'MALFORMED_ENVELOPE'],
      'unknown fields': [400, 'INVALID_REQUEST'],
      'wrong device list': [409, 'MISMATCHED_DEVICES'],
      'stale registration id': [410, 'STALE_DEVICES'],
      'bad access key': [401, 'UNAUTHORIZED_ACCESS'],
      'bad auth on poll': [401, 'UNAUTHORIZED'],
      'bad auth on ack': [401, 'UNAUTHORIZED'],
      'bad envelope id': [400, 'INVALID_REQUEST'],
      'unknown envelope id': [404, 'UNKNOWN_ENVELOPE'],
      'bad account id': [404, 'NOT_FOUND'],
    };
    for (const [name, run] of cases) {
      const got = await run();
      expect({ name, ...got }).toEqual({ name, status: expected[name]![0], code: expected[name]![1] });
    }
    // Queue depth: 3 queued + 2 fit; the 3rd send would make 6 > 5 for both devices.
    expect((await h.client.send(a.id, a.accessKey, a.both(fakeSealed(0x104), fakeSealed(0x104)))).status).toBe(200);
    expect((await h.client.send(a.id, a.accessKey, a.both(fakeSealed(0x105), fakeSealed(0x105)))).status).toBe(200);
    const full = await h.client.send(a.id, a.accessKey, a.both(fakeSealed(0x106), fakeSealed(0x106)));
    expect(full.status).toBe(429);
    expect(full.body.error).toMatchObject({ code: 'QUEUE_FULL' });
    expect(full.headers.get('retry-after')).toBe('60');

    const want = [...queued, fakeSealed(0x104), fakeSealed(0x105)];
    for (const cred of [a.cred1, a.cred2]) {
      const polled = await h.client.poll(cred);
      expect(polled.body.messages.map((m) => m.content)).toEqual(want);
    }
  });

  it('polling: order, limit/more, acknowledgement deletes only the own device copy', async () => {
    harness = await startRelay();
    const h = harness;
    const a = await account(h);
    for (let i = 0; i < 5; i++) await h.client.send(a.id, a.accessKey, a.both(fakeSealed(i), fakeSealed(100 + i)));
    const first = await h.client.poll(a.cred1, 3);
    expect(first.body.messages.map((m) => m.content)).toEqual([0, 1, 2].map((i) => fakeSealed(i)));
    expect(first.body.more).toBe(true);
    // Device 2 cannot acknowledge device 1's envelopes.
    expect((await h.client.ack(a.cred2, first.body.messages.map((m) => m.id))).body).toEqual({ acknowledged: 0 });
    expect((await h.client.ack(a.cred1, first.body.messages.map((m) => m.id))).body).toEqual({ acknowledged: 3 });
    const rest = await h.client.poll(a.cred1);
    expect(rest.body.messages.map((m) => m.content)).toEqual([3, 4].map((i) => fakeSealed(i)));
    expect(rest.body.more).toBe(false);
    const del = await fetch(`${h.client.baseUrl}/v1/messages/${rest.body.messages[0]!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${a.cred1}` } });
    expect(del.status).toBe(204);
    expect((await h.client.poll(a.cred1)).body.messages.map((m) => m.content)).toEqual([fakeSealed(4)]);
    expect((await h.client.poll(a.cred2)).body.messages).toHaveLength(5);
  });

  it('WebSocket: backlog, queue-empty, live push, ack deletes, unacked come back on reconnect', async () => {
    harness = await startRelay();
    const h = harness;
    const a = await account(h);
    await h.client.send(a.id, a.accessKey, a.both(fakeSealed(1), fakeSealed(1)));
    await h.client.send(a.id, a.accessKey, a.both(fakeSealed(2), fakeSealed(2)));

    await expect(h.client.connect('bad')).rejects.toMatchObject({ status: 401 });

    const s1 = await h.client.connect(a.cred1, { autoAck: true });
    await s1.waitFor(() => s1.queueEmpty);
    expect(s1.received.map((e) => e.content)).toEqual([fakeSealed(1), fakeSealed(2)]);
    await h.client.send(a.id, a.accessKey, a.both(fakeSealed(3), fakeSealed(3)));
    await s1.waitFor(() => s1.received.length === 3);
    expect(s1.received[2]!.content).toEqual(fakeSealed(3));

    // Device 2 reads without acknowledging, disconnects, and gets everything again.
    const s2 = await h.client.connect(a.cred2, { autoAck: false });
    await s2.waitFor(() => s2.received.length === 3);
    s2.ack([s2.received[0]!.id]);
    await s2.close();
    const s2b = await h.client.connect(a.cred2, { autoAck: false });
    await s2b.waitFor(() => s2b.queueEmpty && s2b.received.length === 2);
    expect(s2b.received.map((e) => e.content)).toEqual([fakeSealed(2), fakeSealed(3)]);
    await s2b.close();

    // A socket is closed when its credential expires (code 4401).
    const shortLived = await h.client.connect(h.credential(a.id, 2, Date.now() + 300), { autoAck: false });
    const code = await new Promise<number>((resolve) => shortLived.ws.once('close', (c) => resolve(c)));
    expect(code).toBe(4401);

    // Device 1 acknowledged all three over the socket: its queue is empty.
    await s1.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await h.client.poll(a.cred1)).body.messages).toEqual([]);
  });

  it('WebSocket under load: window of 100 in flight, every envelope exactly once', async () => {
    harness = await startRelay();
    const h = harness;
    const a = await account(h);
    const s1 = await h.client.connect(a.cred1, { autoAck: false });
    await s1.waitFor(() => s1.queueEmpty);
    // 250 concurrent sends while the socket is caught up (pushed as committed) ...
    const sends = Array.from({ length: 250 }, (_, i) => h.client.send(a.id, a.accessKey, a.both(fakeSealed(i), fakeSealed(i))));
    // ... but nothing is acknowledged yet, so the window stops at 100.
    await s1.waitFor(() => s1.received.length === 100);
    await new Promise((r) => setTimeout(r, 100));
    expect(s1.received).toHaveLength(100);
    expect((await Promise.all(sends)).every((r) => r.status === 200)).toBe(true);
    // What was pushed is exactly the head of the queue, in queue order.
    expect(s1.received.map((e) => e.id)).toEqual((await h.client.poll(a.cred1, 100)).body.messages.map((m) => m.id));
    // Acknowledge in chunks; the rest follows from the database.
    let acked = 0;
    while (acked < 250) {
      await s1.waitFor(() => s1.received.length > acked);
      const chunk = s1.received.slice(acked, acked + 37).map((e) => e.id);
      s1.ack(chunk);
      acked += chunk.length;
    }
    expect(s1.received).toHaveLength(250);
    const seen = s1.received.map((e) => (e.content[1]! << 8) | e.content[2]!);
    expect(new Set(seen)).toEqual(new Set(Array.from({ length: 250 }, (_, i) => i)));
    await s1.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await h.client.poll(a.cred1)).body.messages).toEqual([]);
  });

  it('expiry: envelopes older than the TTL are never served and are swept', async () => {
    let clock = 1_800_000_000_000;
    harness = await startRelay({ now: () => clock, limits: { messageTtlMs: 60_000 } });
    const h = harness;
    const id = newAccountId();
    h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 1 }]);
    const key = deriveAccessKey(new Uint8Array(32).fill(3));
    await h.client.setAccessKey(id, h.credential(id, 1, clock + 3600_000), key);
    await h.client.send(id, key, [{ deviceId: 1, registrationId: 1, content: fakeSealed(1) }]);
    clock += 30_000;
    await h.client.send(id, key, [{ deviceId: 1, registrationId: 1, content: fakeSealed(2) }]);
    const cred = h.credential(id, 1, clock + 3600_000);
    expect((await h.client.poll(cred)).body.messages).toHaveLength(2);
    clock += 30_000; // the first is now exactly 60 s old
    expect((await h.client.poll(cred)).body.messages.map((m) => m.content)).toEqual([fakeSealed(2)]);
    expect(await h.app.relay.store.deleteExpired(clock)).toBe(1);
    clock += 30_000;
    expect((await h.client.poll(cred)).body.messages).toEqual([]);
  });

  it('serves OpenAPI docs with a schema for every route', async () => {
    harness = await startRelay();
    const r = await fetch(`${harness.client.baseUrl}/docs/json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, { responses?: object }>> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/v1/messages/{accountId}', '/v1/messages/multi_recipient', '/v1/messages', '/v1/messages/{id}', '/v1/messages/acknowledge', '/v1/accounts/{accountId}/access-key']) {
      expect(Object.keys(doc.paths)).toContain(p);
      for (const op of Object.values(doc.paths[p]!)) expect(op.responses).toBeDefined();
    }
    const nf = await fetch(`${harness.client.baseUrl}/nope`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('multi-recipient (sealed sender v2): per-recipient access keys, device checks, split per device', async () => {
    harness = await startRelay();
    const h = harness;
    const a = await account(h, [1, 2]);
    const b = await account(h, [3, 4]);
    const kp = () => {
      const k = x25519GenerateKeyPair();
      return { privateKey: k.privateKey, publicKey: k.publicKey };
    };
    const sender = kp();
    const seal = (devicesA: Array<{ deviceId: number; registrationId: number }>) =>
      sealV2MultiRecipient({
        content: { type: 2, senderCertificate: new Uint8Array([1, 2, 3]), contents: new Uint8Array(64).fill(9) },
        senderIdentity: sender,
        recipients: [
          { serviceId: a.id, identityKey: kp().publicKey, devices: devicesA },
          { serviceId: b.id, identityKey: kp().publicKey, devices: [{ deviceId: 1, registrationId: 3 }, { deviceId: 2, registrationId: 4 }] },
        ],
      });
    const good = seal([{ deviceId: 1, registrationId: 1 }, { deviceId: 2, registrationId: 2 }]);
    const keys = { [a.id]: a.accessKey, [b.id]: b.accessKey };

    const missingKey = await h.client.sendMulti(good, { [a.id]: a.accessKey });
    expect(missingKey.status).toBe(401);
    const wrongKey = await h.client.sendMulti(good, { [a.id]: a.accessKey, [b.id]: a.accessKey });
    expect(wrongKey.status).toBe(401);
    const mismatched = await h.client.sendMulti(seal([{ deviceId: 1, registrationId: 1 }]), keys);
    expect(mismatched.status).toBe(409);
    expect(mismatched.body.error).toMatchObject({ code: 'MISMATCHED_DEVICES', recipients: [{ serviceId: a.id, missingDevices: [2], extraDevices: [] }] });
    const stale = await h.client.sendMulti(seal([{ deviceId: 1, registrationId: 1 }, { deviceId: 2, registrationId: 9 }]), keys);
    expect(stale.status).toBe(410);
    expect(stale.body.error).toMatchObject({ code: 'STALE_DEVICES', recipients: [{ serviceId: a.id, staleDevices: [2] }] });
    const malformed = await h.client.sendMulti(good.subarray(0, 30), keys);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: 'MALFORMED_ENVELOPE' });
    // Nothing was queued by the refused sends.
    expect((await h.client.poll(a.cred1)).body.messages).toEqual([]);

    expect((await h.client.sendMulti(good, keys)).body).toEqual({ accepted: 4 });
    expect(parseV2SentMessage(good).recipients).toHaveLength(2);
    for (const [acct, creds] of [
      [a, [a.cred1, a.cred2]],
      [b, [b.cred1, b.cred2]],
    ] as const) {
      for (const cred of creds) {
        const got = (await h.client.poll(cred)).body.messages.map((m) => m.content);
        expect(got).toEqual([splitV2ForRecipient(good, acct.id)]);
      }
    }
  });
});

