/**
 * Sealed sender v2 (multi-recipient) against libsignal-client 0.90, both
 * directions, including the server-side per-recipient split.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Aci,
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderMultiRecipientEncrypt,
  sealedSenderMultiRecipientMessageForSingleRecipient,
} from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { SealpostError } from '../../src/errors.ts';
import { openV2, sealV2MultiRecipient } from '../../src/sealed-sender/v2.ts';
import { parseV2SentMessage, splitV2ForRecipient } from '../../src/sealed-sender/v2-sent-message.ts';
import { ab } from '@sealpost/devkit/libsignal';
import { LibsignalPeer } from '@sealpost/devkit/libsignal';
import { identityOf, libsignalUsmc, makeTrustChain, newPeer, senderCertificateFor } from './helpers.ts';

/** Bob with two devices sharing one identity, Carol with one device, and a sender Alice. */
function cast() {
  const alice = newPeer(1);
  const bob1 = newPeer(1, 1111);
  const bob2 = new LibsignalPeer({ name: bob1.name, deviceId: 2, registrationId: 2222, identityPrivateKey: bob1.identity.privateKey.serialize() });
  const carol = newPeer(1, 3333);
  return { alice, bob1, bob2, carol };
}

describe('sealed sender v2 interop (libsignal-client 0.90)', () => {
  it('libsignal SentMessage: we parse and split exactly like libsignal, and open each part', async () => {
    const chain = makeTrustChain();
    const { alice, bob1, bob2, carol } = cast();
    const cert = senderCertificateFor(chain, alice, Date.now() + 3600_000);
    for (const r of [bob2, carol]) await alice.processBundle(r.address, r.generateBundle({ withOneTimePreKey: false }));
    const usmc = await libsignalUsmc(alice, bob1, cert, 2, new Uint8Array(16).fill(1));
    const dave = randomUUID();
    const sent = await sealedSenderMultiRecipientEncrypt({
      content: usmc,
      recipients: [bob1.address, bob2.address, carol.address],
      excludedRecipients: [Aci.fromUuid(dave)],
      identityStore: alice.identityStore,
      sessionStore: alice.sessionStore,
    });
    expect(sent[0]).toBe(0x23);

    const lib = new SealedSenderMultiRecipientMessage(sent);
    const ours = parseV2SentMessage(sent);
    const libRecipients = lib.recipientsByServiceIdString();
    expect(ours.recipients.map((r) => r.serviceId).sort()).toEqual(Object.keys(libRecipients).sort());
    expect(ours.excluded).toEqual([...lib.excludedRecipientServiceIdStrings()]);
    expect(ours.excluded).toEqual([dave]);
    for (const r of ours.recipients) {
      const l = libRecipients[r.serviceId]!;
      expect(r.devices.map((d) => d.deviceId)).toEqual(l.deviceIds);
      expect(r.devices.map((d) => d.registrationId)).toEqual(l.registrationIds);
      expect(splitV2ForRecipient(sent, r.serviceId)).toEqual(lib.messageForRecipient(l));
    }
    expect(ours.recipients.find((r) => r.serviceId === bob1.name)!.devices).toEqual([
      { deviceId: 1, registrationId: 1111 },
      { deviceId: 2, registrationId: 2222 },
    ]);

    for (const [peer, other] of [
      [bob1, carol],
      [carol, bob1],
    ] as const) {
      const received = splitV2ForRecipient(sent, peer.name);
      expect(received[0]).toBe(0x22);
      const opened = openV2(received, identityOf(peer));
      expect(opened.usmc).toEqual(usmc.serialize());
      expect(opened.authenticates(alice.identityPublic)).toBe(true);
      expect(opened.authenticates(other.identityPublic)).toBe(false);
      // The other recipient's private key recovers nothing from this part.
      expect(() => openV2(received, identityOf(other))).toThrow(SealpostError);
    }
  });

  it('we seal with sealV2MultiRecipient; libsignal parses, splits and decrypts every part', async () => {
    const chain = makeTrustChain();
    const { alice, bob1, bob2, carol } = cast();
    const cert = senderCertificateFor(chain, alice, Date.now() + 3600_000);
    const plaintext = new TextEncoder().encode('one ciphertext, three devices');
    const usmc = await libsignalUsmc(alice, bob1, cert, 0, null, plaintext);
    const dave = randomUUID();
    const m = new Uint8Array(randomBytes(32));
    const input = {
      content: usmc.serialize(),
      senderIdentity: identityOf(alice),
      recipients: [
        { serviceId: bob1.name, identityKey: bob1.identityPublic, devices: [{ deviceId: 1, registrationId: 1111 }, { deviceId: 2, registrationId: 2222 }] },
        { serviceId: carol.name, identityKey: carol.identityPublic, devices: [{ deviceId: 1, registrationId: 3333 }] },
      ],
      excludedRecipients: [dave],
      m,
    };
    const sent = sealV2MultiRecipient(input);
    expect(sealV2MultiRecipient(input)).toEqual(sent); // deterministic given M
    expect(sealV2MultiRecipient({ ...input, m: undefined })).not.toEqual(sent);

    const lib = new SealedSenderMultiRecipientMessage(ab(sent));
    const recipients = lib.recipientsByServiceIdString();
    expect(recipients[bob1.name]).toMatchObject({ deviceIds: [1, 2], registrationIds: [1111, 2222] });
    expect(recipients[carol.name]).toMatchObject({ deviceIds: [1], registrationIds: [3333] });
    expect([...lib.excludedRecipientServiceIdStrings()]).toEqual([dave]);

    for (const peer of [bob1, bob2, carol]) {
      const part = lib.messageForRecipient(recipients[peer.name]!);
      expect(part).toEqual(splitV2ForRecipient(sent, peer.name));
      const got = await sealedSenderDecryptToUsmc(part, peer.identityStore);
      expect(got.serialize()).toEqual(usmc.serialize());
    }
    // Bob's first device, the one the inner session message was for, decrypts all the way.
    const part = lib.messageForRecipient(recipients[bob1.name]!);
    const result = await sealedSenderDecryptMessage(
      part,
      chain.trustRoot.getPublicKey(),
      Date.now(),
      null,
      bob1.name,
      1,
      bob1.sessionStore,
      bob1.identityStore,
      bob1.preKeyStore,
      bob1.signedPreKeyStore,
      bob1.kyberPreKeyStore,
    );
    expect(result.message()).toEqual(plaintext);
  });

  it("single-recipient split equals libsignal's sealedSenderMultiRecipientMessageForSingleRecipient", () => {
    const alice = newPeer();
    const bob = newPeer();
    const sent = sealV2MultiRecipient({
      content: { type: 2, senderCertificate: new Uint8Array([5]), contents: new Uint8Array(33).fill(3) },
      senderIdentity: identityOf(alice),
      recipients: [{ serviceId: bob.name, identityKey: bob.identityPublic, devices: [{ deviceId: 3, registrationId: 77 }] }],
    });
    expect(splitV2ForRecipient(sent, bob.name)).toEqual(sealedSenderMultiRecipientMessageForSingleRecipient(ab(sent)));
  });

  it('refuses malformed SentMessages and ReceivedMessages with typed errors at every truncation', () => {
    const alice = newPeer();
    const bob = newPeer();
    const sent = sealV2MultiRecipient({
      content: { type: 2, senderCertificate: new Uint8Array([5]), contents: new Uint8Array(10) },
      senderIdentity: identityOf(alice),
      recipients: [{ serviceId: bob.name, identityKey: bob.identityPublic, devices: [{ deviceId: 1, registrationId: 7 }, { deviceId: 2, registrationId: 8 }] }],
      excludedRecipients: [randomUUID()],
    });
    // Any prefix that cuts into the header or E.pub must fail with our error (never a crash).
    const headerEnd = parseV2SentMessage(sent).sharedOffset + 32;
    for (let n = 0; n < headerEnd; n++) {
      expect(() => parseV2SentMessage(sent.subarray(0, n))).toThrow(SealpostError);
    }
    const badVersion = sent.slice();
    badVersion[0] = 0x11;
    expect(() => parseV2SentMessage(badVersion)).toThrow(/version/);
    const received = splitV2ForRecipient(sent, bob.name);
    for (const n of [0, 1, 48, 80]) expect(() => openV2(received.subarray(0, n), identityOf(bob))).toThrow(SealpostError);
    for (const at of [1, 40, 60, received.length - 1]) {
      const t = received.slice();
      t[at]! ^= 0x80;
      let err: unknown;
      try {
        const o = openV2(t, identityOf(bob));
        // Only AT was hit: the content decrypts but no longer authenticates the sender.
        expect(o.authenticates(alice.identityPublic)).toBe(false);
      } catch (e) {
        err = e;
      }
      if (err !== undefined) expect((err as SealpostError).code).toBe('DECRYPTION_FAILED');
    }
  });
});
