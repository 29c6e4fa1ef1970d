/**
 * Issue 13 over real HTTP/WebSocket: `PUT /v1/messages/multi_recipient`
 * stores the sealed sender v2 shared payload once plus a 49-byte view per
 * device, and every device still receives exactly the ReceivedMessage
 * `splitV2ForRecipient` gives (over poll and over WebSocket); the shared row
 * is gone after the last acknowledgement; one full queue refuses the send
 * and nothing is stored. Runs on SQLite, and on PostgreSQL in the
 * services-postgres project.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { x25519GenerateKeyPair } from '@sealpost/protocol/primitives';
import { sealV2MultiRecipient, splitV2ForRecipient } from '@sealpost/protocol/sealed-sender';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';
import { storeStats } from './support/test-storage.ts';

let harness: RelayHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const kp = () => x25519GenerateKeyPair();

/** `n` accounts (every third with one device, the others two) with access keys, and a SentMessage to all of them. */
async function groupSend(h: RelayHarness, n: number) {
  const members: Array<{ id: string; accessKey: Uint8Array; devices: Array<{ deviceId: number; registrationId: number }> }> = [];
  for (let i = 0; i < n; i++) {
    const id = newAccountId();
    const devices = Array.from({ length: i % 3 === 0 ? 1 : 2 }, (_, d) => ({ deviceId: d + 1, registrationId: 100 + i * 2 + d }));
    h.directory.accounts.set(id, devices);
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await h.client.setAccessKey(id, h.credential(id, 1), accessKey)).status).toBe(204);
    members.push({ id, accessKey, devices });
  }
  const sent = sealV2MultiRecipient({
    content: { type: 7, senderCertificate: new Uint8Array(120).fill(3), contents: new Uint8Array(randomBytes(300)) },
    senderIdentity: kp(),
    recipients: members.map((m) => ({ serviceId: m.id, identityKey: kp().publicKey, devices: m.devices })),
  });
  const keys = Object.fromEntries(members.map((m) => [m.id, m.accessKey]));
  const deviceCount = members.reduce((k, m) => k + m.devices.length, 0);
  return { members, sent, keys, deviceCount };
}

describe('multi-recipient sends store the shared payload once (issue 13)', () => {
  it('every device gets the exact ReceivedMessage over poll and WebSocket; storage is one payload plus views; the last ack removes it', async () => {
    harness = await startRelay();
    const h = harness;
    const { members, sent, keys, deviceCount } = await groupSend(h, 24);
    expect((await h.client.sendMulti(sent, keys)).body).toEqual({ accepted: deviceCount });

    const where = { dbPath: h.dbPath, databaseUrl: h.databaseUrl };
    const stats = await storeStats(where);
    const received = splitV2ForRecipient(sent, members[0]!.id);
    const sharedBytes = received.length - 49;
    expect(stats).toEqual({ envelopes: deviceCount, sharedPayloads: 1, envelopeBytes: 49 * deviceCount, sharedBytes });

    // Half the devices poll, the other half read over a WebSocket; each acknowledges.
    for (const [i, m] of members.entries()) {
      const expected = splitV2ForRecipient(sent, m.id);
      for (const d of m.devices) {
        const cred = h.credential(m.id, d.deviceId);
        if (i % 2 === 0) {
          const polled = (await h.client.poll(cred)).body.messages;
          expect(polled.map((p) => Buffer.from(p.content))).toEqual([Buffer.from(expected)]);
          expect((await h.client.ack(cred, polled.map((p) => p.id))).status).toBe(200);
        } else {
          const socket = await h.client.connect(cred, { autoAck: true });
          await socket.waitFor(() => socket.received.length === 1 && socket.queueEmpty);
          expect(socket.received.map((e) => Buffer.from(e.content))).toEqual([Buffer.from(expected)]);
          await socket.close();
        }
      }
    }
    // WebSocket acknowledgements are asynchronous: wait until the last one is stored.
    const deadline = Date.now() + 5_000;
    let after = await storeStats(where);
    while (after.envelopes > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      after = await storeStats(where);
    }
    expect(after).toEqual({ envelopes: 0, sharedPayloads: 0, envelopeBytes: 0, sharedBytes: 0 });
  });

  it('a live socket is pushed the exact bytes as the send commits', async () => {
    harness = await startRelay();
    const h = harness;
    const { members, sent, keys } = await groupSend(h, 3);
    const m = members[1]!;
    const socket = await h.client.connect(h.credential(m.id, 2), { autoAck: false });
    await socket.waitFor(() => socket.queueEmpty);
    expect((await h.client.sendMulti(sent, keys)).status).toBe(200);
    await socket.waitFor(() => socket.received.length === 1);
    expect(Buffer.from(socket.received[0]!.content)).toEqual(Buffer.from(splitV2ForRecipient(sent, m.id)));
    await socket.close();
  });

  it('one full device queue refuses the whole send (429 QUEUE_FULL) and nothing of it is stored', async () => {
    harness = await startRelay({ limits: { maxQueueDepth: 1 } });
    const h = harness;
    const { members, sent, keys } = await groupSend(h, 6);
    const full = members[4]!;
    const single = [{ deviceId: 1, registrationId: full.devices[0]!.registrationId, content: fakeSealed(1) }, { deviceId: 2, registrationId: full.devices[1]!.registrationId, content: fakeSealed(2) }];
    expect((await h.client.send(full.id, full.accessKey, single)).status).toBe(200);
    const refused = await h.client.sendMulti(sent, keys);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'QUEUE_FULL' });
    expect(await storeStats({ dbPath: h.dbPath, databaseUrl: h.databaseUrl })).toMatchObject({ envelopes: 2, sharedPayloads: 0 });
    expect((await h.client.poll(h.credential(members[0]!.id, 1))).body.messages).toEqual([]);
  });
});
