/**
 * Group messages through the relay between Sealpost clients and
 * libsignal-client 0.90 (the independently written peer):
 * - libsignal's `groupEncrypt` + `sealedSenderMultiRecipientEncrypt`,
 *   handed to the relay's `multi_recipient` route, read by Sealpost clients;
 * - a Sealpost client's group send, fetched from the relay, opened by
 *   libsignal (`sealedSenderDecryptToUsmc` + `groupDecrypt`).
 * The libsignal side plays one device of a registered account (its identity
 * key loaded into libsignal), a member of the group like any other.
 */
import { describe, expect, it } from 'vitest';
import {
  CiphertextMessageType,
  ContentHint,
  ProtocolAddress,
  SenderCertificate,
  SenderKeyDistributionMessage,
  UnidentifiedSenderMessageContent,
  groupDecrypt,
  groupEncrypt,
  sealedSenderDecryptToUsmc,
  sealedSenderMultiRecipientEncrypt,
} from '@signalapp/libsignal-client';
import { InMemorySenderKeyStore, LibsignalPeer, ab } from '@sealpost/devkit/libsignal';
import { deriveAccessKey } from '@sealpost/protocol';
import { fromHex } from '@sealpost/protocol/primitives';
import { createSenderCertificate } from '@sealpost/protocol/sealed-sender';
import type { SealpostClient } from '../../src/client.ts';
import { decodeContent, encodeContent } from '../../src/content.ts';
import { contextOf, currentChange } from '../../src/groups/membership.ts';
import { padPlaintext, unpadPlaintext } from '../../src/padding.ts';
import { useLocalServices } from '../support/local-services.ts';
import { GROUP_TEST_CLIENT, collect, pollAll, registerAll, sendAs, texts } from '../support/groups.ts';

const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });

/** A libsignal device holding `client`'s identity key and registration id. */
async function libsignalTwin(client: SealpostClient): Promise<LibsignalPeer> {
  const a = await client.store.identities.localAccount();
  return new LibsignalPeer({ name: client.address.account, deviceId: client.address.device, registrationId: a!.registrationId, identityPrivateKey: a!.identityPrivateKey });
}

describe('group messages between Sealpost clients and libsignal through the relay', () => {
  it('interop: a libsignal multi-recipient group send (groupEncrypt + sealedSenderMultiRecipientEncrypt) is read by Sealpost clients', async () => {
    const [alice, bob, lena] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, lena]);
    const group = await alice.groups.create({ title: 'mixed', members: [bob.address.account, lena.address.account] });
    await pollAll([alice, bob, lena]);
    const context = contextOf(currentChange((await lena.store.groups.get(group.id))!));

    const peer = await libsignalTwin(lena);
    const senderKeys = new InMemorySenderKeyStore();
    const distributionId = '3f1e2d4c-5b6a-4789-8abc-def012345678';
    const skdm = await SenderKeyDistributionMessage.create(peer.address, distributionId, senderKeys);
    // The distribution message travels 1:1 from lena's account, as her client would send it.
    for (const to of [alice, bob]) await sendAs(local.services, lena, to, { timestamp: Date.now(), group: context, senderKeyDistribution: skdm.serialize() });

    const recipients: ProtocolAddress[] = [];
    for (const to of [alice, bob]) {
      const [bundle] = await lena.keyServer.bundles(to.address.account);
      await peer.processBundle(ProtocolAddress.new(to.address.account, bundle!.deviceId), {
        registrationId: bundle!.registrationId,
        deviceId: bundle!.deviceId,
        preKeyId: bundle!.preKey?.keyId ?? null,
        preKeyPublic: bundle!.preKey?.publicKey ?? null,
        signedPreKeyId: bundle!.signedPreKey.keyId,
        signedPreKeyPublic: bundle!.signedPreKey.publicKey,
        signedPreKeySignature: bundle!.signedPreKey.signature,
        identityKey: bundle!.identityKey,
        kyberPreKeyId: bundle!.pqPreKey.keyId,
        kyberPreKeyPublic: bundle!.pqPreKey.publicKey,
        kyberPreKeySignature: bundle!.pqPreKey.signature,
      });
      recipients.push(ProtocolAddress.new(to.address.account, bundle!.deviceId));
    }
    const now = Date.now();
    const certificate = createSenderCertificate({
      senderUuid: lena.address.account,
      senderDeviceId: 1,
      identityKey: peer.identity.publicKey.serialize(),
      expires: now + 3600_000,
      serverCertificate: local.services.serverCertificate,
      serverPrivateKey: local.services.serverPrivateKey,
    });
    const content = padPlaintext(encodeContent({ version: 1, timestamp: now, text: 'hello from libsignal', group: context }));
    const ciphertext = await groupEncrypt(peer.address, distributionId, senderKeys, ab(content));
    expect(ciphertext.type()).toBe(CiphertextMessageType.SenderKey);
    const usmc = UnidentifiedSenderMessageContent.new(ciphertext, SenderCertificate.deserialize(ab(certificate.serialized)), ContentHint.Resendable, ab(fromHex(group.id)));
    const sent = await sealedSenderMultiRecipientEncrypt({ content: usmc, recipients, identityStore: peer.identityStore, sessionStore: peer.sessionStore });
    await lena.relay.sendMultiRecipient(
      sent,
      new Map([alice, bob].map((c) => [c.address.account, deriveAccessKey(c.contactCard().profileKey)])),
    );

    const [aliceIn, bobIn] = [collect(alice), collect(bob)];
    await pollAll([alice, bob]);
    for (const got of [aliceIn, bobIn]) {
      expect(texts(got, group.id)).toEqual(['hello from libsignal']);
      expect(got[0]!.sender).toEqual(lena.address);
    }
  });

  it('interop: a Sealpost client group send through the relay is opened by libsignal (sealedSenderDecryptToUsmc + groupDecrypt)', async () => {
    const [alice, bob, lena] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, lena]);
    const group = await alice.groups.create({ members: [bob.address.account, lena.address.account] });
    await pollAll([alice, bob, lena]);
    const bobIn = collect(bob);
    await alice.groups.send(group.id, { text: 'to libsignal and to bob' });

    // Lena's queue: the distribution message (1:1, v1) and the group message (v2 ReceivedMessage).
    const { envelopes } = await lena.relay.fetch();
    expect(envelopes.map((e) => e.content[0])).toEqual([0x11, 0x22]);
    await lena.receiveEnvelope(envelopes[0]!);
    const distributionId = (await alice.store.groups.get(group.id))!.distributionId!;
    const record = await lena.store.senderKeys.load(alice.address, distributionId);
    expect(record).toBeDefined();

    const peer = await libsignalTwin(lena);
    const senderKeys = new InMemorySenderKeyStore();
    const aliceAddress = ProtocolAddress.new(alice.address.account, alice.address.device);
    senderKeys.putRecordBytes(aliceAddress, distributionId, record!);
    const usmc = await sealedSenderDecryptToUsmc(ab(envelopes[1]!.content), peer.identityStore);
    expect(usmc.msgType()).toBe(CiphertextMessageType.SenderKey);
    expect(usmc.contentHint()).toBe(ContentHint.Resendable);
    expect(usmc.groupId()).toEqual(fromHex(group.id));
    expect([usmc.senderCertificate().senderUuid(), usmc.senderCertificate().senderDeviceId()]).toEqual([alice.address.account, alice.address.device]);
    const plaintext = await groupDecrypt(aliceAddress, senderKeys, usmc.contents());
    const content = decodeContent(unpadPlaintext(plaintext));
    expect(content.text).toBe('to libsignal and to bob');
    expect(content.group?.epoch).toBe(0);
    expect(content.group?.id).toEqual(fromHex(group.id));

    await pollAll([bob]);
    expect(texts(bobIn, group.id)).toEqual(['to libsignal and to bob']);
  });
});
