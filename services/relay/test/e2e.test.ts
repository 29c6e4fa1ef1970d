/**
 * End to end: a real listening key server, the relay as a child process, two
 * accounts with two devices each. Alice's devices are libsignal-client 0.90
 * end to end (sessions and sealing); Bob's devices are ours end to end
 * (@sealpost/protocol sessions, sealV1/sealV2MultiRecipient/unseal). They
 * exchange sealed sender v1 and v2 messages in both directions through the
 * relay (WebSocket and polling). Then the relay is stopped and its database
 * (SQLite files, or every relay table on PostgreSQL) and logs are searched
 * for anything identifying a sender.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libsignalOpen, libsignalSendV1, ourOpen, ourSendV1, sendV2, type Opened } from './support/clients.ts';
import { storedState } from './support/test-storage.ts';
import { startWorld, type Account, type Device, type World } from './support/world.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

let world: World;
let alice: Account;
let bob: Account;
const bobKnown = [new Map<string, Uint8Array>(), new Map<string, Uint8Array>()];

/** Bob's device `i` reads its queue over WebSocket, unseals and decrypts with our code, acknowledges. */
async function bobReceives(i: number, expected: number): Promise<Opened[]> {
  const device = bob.devices[i]!;
  const socket = await world.client.connect(device.relayToken, { autoAck: false });
  await socket.waitFor(() => socket.received.length >= expected && socket.queueEmpty);
  const opened: Opened[] = [];
  for (const env of socket.received) opened.push(await ourOpen(world, bob, device, env.content, bobKnown[i]!));
  socket.ack(socket.received.map((e) => e.id));
  await socket.close();
  return opened;
}

/** An Alice device polls, opens with libsignal's sealedSenderDecryptMessage, acknowledges over HTTP. */
async function aliceReceives(device: Device): Promise<Opened[]> {
  const polled = await world.client.poll(device.relayToken);
  expect(polled.status).toBe(200);
  const opened: Opened[] = [];
  for (const env of polled.body.messages) opened.push(await libsignalOpen(world, alice, device, env.content));
  const ack = await world.client.ack(device.relayToken, polled.body.messages.map((m) => m.id));
  expect(ack.body.acknowledged).toBe(polled.body.messages.length);
  return opened;
}

beforeAll(async () => {
  world = await startWorld();
  alice = await world.newAccount(2, 'libsignal');
  bob = await world.newAccount(2, 'ours');
});

afterAll(async () => {
  await world?.close();
});

describe('end to end: key server + relay process + libsignal and our clients', () => {
  it('two accounts with two devices each exchange sealed messages (v1 and v2, both directions)', async () => {
    const [a1, a2] = alice.devices as [Device, Device];
    const [b1, b2] = bob.devices as [Device, Device];

    // 1. libsignal (Alice 1: session + seal) -> relay -> our unseal + our session on both of Bob's devices (WebSocket).
    expect((await libsignalSendV1(world, a1, bob, text('hi bob, from alice 1'))).body).toEqual({ accepted: 2 });
    // 2. Alice 2 too, so Bob sees two sender devices of one account.
    expect((await libsignalSendV1(world, a2, bob, text('and from alice 2'))).body).toEqual({ accepted: 2 });
    for (const i of [0, 1]) {
      const got = await bobReceives(i, 2);
      expect(got.map((o) => [o.version, o.senderAccount, o.senderDevice, str(o.plaintext)])).toEqual([
        [1, alice.id, 1, 'hi bob, from alice 1'],
        [1, alice.id, 2, 'and from alice 2'],
      ]);
    }

    // 3. Ours (Bob 2: our session + sealV1) -> relay -> libsignal sealedSenderDecryptMessage on Alice's devices (polling).
    expect((await ourSendV1(world, bob, b2, alice, text('reply from bob 2'))).body).toEqual({ accepted: 2 });
    for (const d of [a1, a2]) {
      const got = await aliceReceives(d);
      expect(got.map((o) => [o.version, o.senderAccount, o.senderDevice, str(o.plaintext)])).toEqual([[1, bob.id, 2, 'reply from bob 2']]);
    }

    // 4. Sealed sender v2 through the relay's split, both makers.
    expect((await sendV2(world, 'libsignal', alice, a1, bob, text('v2 from libsignal'))).body).toEqual({ accepted: 2 });
    const b1v2 = await bobReceives(0, 1);
    const b2v2 = await bobReceives(1, 1);
    expect(b1v2.map((o) => [o.version, o.senderAccount, o.senderDevice, str(o.plaintext)])).toEqual([[2, alice.id, 1, 'v2 from libsignal']]);
    // The shared content was a session message for Bob's first device; the second still proves the sender.
    expect(b2v2.map((o) => [o.version, o.senderAccount, o.senderDevice])).toEqual([[2, alice.id, 1]]);

    expect((await sendV2(world, 'ours', bob, b1, alice, text('v2 from our sealV2'))).body).toEqual({ accepted: 2 });
    const a1v2 = await aliceReceives(a1);
    const a2v2 = await aliceReceives(a2);
    expect(a1v2.map((o) => [o.version, o.senderAccount, o.senderDevice, str(o.plaintext)])).toEqual([[2, bob.id, 1, 'v2 from our sealV2']]);
    expect(a2v2.map((o) => [o.version, o.senderAccount, o.senderDevice])).toEqual([[2, bob.id, 1]]);

    // 5. A few more turns on the established sessions, then every queue is empty.
    for (let turn = 0; turn < 3; turn++) {
      expect((await libsignalSendV1(world, a1, bob, text(`turn ${turn} a->b`))).status).toBe(200);
      expect((await ourSendV1(world, bob, b1, alice, text(`turn ${turn} b->a`))).status).toBe(200);
    }
    for (const i of [0, 1]) expect((await bobReceives(i, 3)).map((o) => str(o.plaintext))).toEqual(['turn 0 a->b', 'turn 1 a->b', 'turn 2 a->b']);
    for (const d of [a1, a2]) expect((await aliceReceives(d)).map((o) => str(o.plaintext))).toEqual(['turn 0 b->a', 'turn 1 b->a', 'turn 2 b->a']);
    for (const d of [...alice.devices, ...bob.devices]) expect((await world.client.poll(d.relayToken)).body.messages).toEqual([]);
  });

  it('a sender with an outdated device list gets 409 with the missing device; nothing is queued', async () => {
    const [a1] = alice.devices as [Device];
    // Alice addresses only Bob's first device: the relay checks the key server's list and names the missing one.
    const stale = await libsignalSendV1(world, a1, { ...bob, devices: [bob.devices[0]!] }, text('only to device 1'));
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'MISMATCHED_DEVICES', missingDevices: [2], extraDevices: [] });
    // Nothing from the refused send was queued.
    expect((await world.client.poll(bob.devices[0]!.relayToken)).body.messages).toEqual([]);
  });

  it('inspection: the relay database and logs hold no sender account, device or identity key', async () => {
    // Stop the relay gracefully so the WAL is checkpointed into the main file as well.
    expect(await world.relay.stop('SIGTERM')).toBe(0);
    const logs = world.relay.logs;
    expect(logs).toContain('Server listening at');
    expect(logs).toContain('"route":"/v1/messages/:accountId"');

    const stored = await storedState({ dbPath: world.relay.dbPath, databaseUrl: world.databaseUrl });
    const fileBytes = stored.bytes;
    expect(stored.envelopeColumns.sort()).toEqual(['account_id', 'content', 'device_id', 'expires_at', 'id', 'received_at', 'seq', 'shared_id', 'size']);
    const accountsInDb = stored.accessKeyAccounts;
    expect(accountsInDb).toEqual(new Set([alice.id, bob.id])); // recipients registered their own keys
    // Control: the search does find what is there (recipient ids as text in access_keys).
    expect(fileBytes.includes(alice.id)).toBe(true);
    expect(fileBytes.includes(bob.id)).toBe(true);

    // Every sender in this conversation is also a recipient, so account ids appear as *recipients*
    // in the access_keys table. What must never appear is a sender marker tied to an envelope:
    // the sender's (account, device) pair, certificate, or identity key.
    for (const sender of [alice, bob]) {
      const id = sender.id;
      const uuidBytes = Buffer.from(id.replaceAll('-', ''), 'hex');
      const identity = Buffer.from(sender.identity.publicKey);
      const needles: Array<[string, Buffer | string]> = [
        ['identity key (33 bytes, raw)', identity],
        ['identity key (32 bytes, raw)', identity.subarray(1)],
        ['identity key hex', identity.toString('hex')],
        ['identity key hex (32)', identity.subarray(1).toString('hex')],
        ['identity key base64', identity.toString('base64')],
        ['identity key base64 (32)', identity.subarray(1).toString('base64')],
        ['identity key base64url (32)', identity.subarray(1).toString('base64url')],
        ...sender.devices.flatMap((d): Array<[string, Buffer | string]> => [
          [`sender certificate of device ${d.deviceId}`, Buffer.from(d.senderCertificate)],
          [`sender certificate base64 of device ${d.deviceId}`, Buffer.from(d.senderCertificate).toString('base64').slice(0, 40)],
          [`"${id}.${d.deviceId}"`, `${id}.${d.deviceId}`],
          [`"${id}:${d.deviceId}"`, `${id}:${d.deviceId}`],
        ]),
      ];
      for (const [name, needle] of needles) {
        expect({ name, inDb: fileBytes.includes(needle) }).toEqual({ name, inDb: false });
        expect({ name, inLogs: logs.includes(typeof needle === 'string' ? needle : needle.toString('latin1')) }).toEqual({ name, inLogs: false });
      }
      // Logs mention no account id at all, in any form (recipients neither).
      for (const form of [id, uuidBytes.toString('hex'), uuidBytes.toString('base64'), uuidBytes.toString('base64url')]) {
        expect({ form, inLogs: logs.includes(form) }).toEqual({ form, inLogs: false });
      }
      // And the database holds no account id in binary UUID form (only recipient ids, as text).
      expect(fileBytes.includes(uuidBytes)).toBe(false);
    }
    // No client address or port was ever logged.
    for (const field of ['remoteAddress', 'remotePort', '"ip"', 'authorization', 'unidentified-access-key', 'Bearer', 'token=']) {
      expect({ field, inLogs: logs.includes(field) }).toEqual({ field, inLogs: false });
    }
  });
});
