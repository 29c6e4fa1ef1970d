/**
 * Group sends in sealed sender v2 against libsignal-client 0.90, at
 * protocol level (the client/relay path is tested elsewhere):
 * - Sealpost seals a sender-key message (USMC type 7, content hint,
 *   32-byte group id) for three recipients; libsignal recipients run
 *   `sealedSenderDecryptToUsmc` + `groupDecrypt`, a Sealpost recipient
 *   `unseal` + `groupMessageFromSealed` + `groupDecrypt`;
 * - libsignal's `groupEncrypt` + `sealedSenderMultiRecipientEncrypt`
 *   SentMessage is split and decrypted by Sealpost.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CiphertextMessageType,
  ContentHint,
  ProtocolAddress,
  SenderKeyDistributionMessage,
  UnidentifiedSenderMessageContent,
  groupDecrypt as lsGroupDecrypt,
  groupEncrypt as lsGroupEncrypt,
  processSenderKeyDistributionMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderMultiRecipientEncrypt,
} from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { InMemorySenderKeyStore, ab } from '@sealpost/devkit/libsignal';
import {
  InvalidMessageError,
  SealedSenderV2AgreementCache,
  createDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  groupMessageFromSealed,
  processDistributionMessage,
  sealGroupMessage,
} from '../../src/groups/index.ts';
import { ContentHint as OurContentHint, SealedContentType, splitV2ForRecipient, unseal } from '../../src/sealed-sender/index.ts';
import { randomBytes } from '../../src/primitives/index.ts';
import { identityOf, makeTrustChain, newPeer, senderCertificateFor } from '../sealed-sender/helpers.ts';
import { utf8 } from './helpers.ts';

const GROUP_ID = randomBytes(32);

describe('sealed sender v2 group sends interop (libsignal-client 0.90)', () => {
  it('interop: a Sealpost group send is opened by libsignal (decryptToUsmc + groupDecrypt) and by Sealpost', async () => {
    const chain = makeTrustChain();
    const alice = newPeer(2);
    const [bob, carol, dave] = [newPeer(1, 1001), newPeer(1, 1002), newPeer(1, 1003)];
    const cert = senderCertificateFor(chain, alice, Date.now() + 3600_000).serialize();
    const dist = randomUUID();
    const created = createDistributionMessage(undefined, dist);
    const aliceAddress = ProtocolAddress.new(alice.name, alice.deviceId);
    const stores = new Map<string, InMemorySenderKeyStore>();
    for (const p of [bob, carol]) {
      const store = new InMemorySenderKeyStore();
      await processSenderKeyDistributionMessage(aliceAddress, SenderKeyDistributionMessage.deserialize(ab(created.message.serialized)), store);
      stores.set(p.name, store);
    }
    let daveRecord = processDistributionMessage(undefined, created.message.serialized);

    const { message } = groupEncrypt(created.record, dist, utf8('hello group'));
    const input = {
      message,
      senderCertificate: cert,
      contentHint: OurContentHint.Resendable,
      groupId: GROUP_ID,
      senderIdentity: identityOf(alice),
      recipients: [bob, carol, dave].map((p) => ({ serviceId: p.name, identityKey: p.identityPublic, devices: [{ deviceId: 1, registrationId: p.registrationId }] })),
      m: randomBytes(32),
    };
    // The agreement cache (warm on the second call) changes nothing on the wire.
    const agreementCache = new SealedSenderV2AgreementCache();
    sealGroupMessage({ ...input, agreementCache });
    const sent = sealGroupMessage({ ...input, agreementCache });
    expect(sent).toEqual(sealGroupMessage(input));
    expect(sent[0]).toBe(0x23);
    const lib = new SealedSenderMultiRecipientMessage(ab(sent));
    const byId = lib.recipientsByServiceIdString();

    for (const p of [bob, carol]) {
      const usmc = await sealedSenderDecryptToUsmc(lib.messageForRecipient(byId[p.name]!), p.identityStore);
      expect(usmc.msgType()).toBe(CiphertextMessageType.SenderKey);
      expect(usmc.contentHint()).toBe(ContentHint.Resendable);
      expect(usmc.groupId()).toEqual(GROUP_ID);
      const sender = usmc.senderCertificate();
      expect([sender.senderUuid(), sender.senderDeviceId()]).toEqual([alice.name, 2]);
      const plain = await lsGroupDecrypt(ProtocolAddress.new(sender.senderUuid(), sender.senderDeviceId()), stores.get(p.name)!, usmc.contents());
      expect(plain).toEqual(utf8('hello group'));
    }

    const unsealed = unseal({
      message: splitV2ForRecipient(sent, dave.name),
      recipientIdentity: identityOf(dave),
      trustRoots: chain.trustRoot.getPublicKey().serialize(),
      now: Date.now(),
    });
    expect(unsealed.content.type).toBe(SealedContentType.SenderKey);
    expect(unsealed.content.contentHint).toBe(1);
    expect(unsealed.content.groupId).toEqual(GROUP_ID);
    expect([unsealed.sender.senderUuid, unsealed.sender.senderDeviceId]).toEqual([alice.name, 2]);
    const skm = groupMessageFromSealed(unsealed.content);
    expect(skm.distributionId).toBe(dist);
    const out = groupDecrypt(daveRecord, skm);
    daveRecord = out.record;
    expect(out.plaintext).toEqual(utf8('hello group'));
  });

  it("interop: libsignal's sealedSenderMultiRecipientEncrypt group send is decrypted by Sealpost", async () => {
    const chain = makeTrustChain();
    const alice = newPeer(1);
    const [bob, carol] = [newPeer(1, 2001), newPeer(1, 2002)];
    for (const r of [bob, carol]) await alice.processBundle(r.address, r.generateBundle({ withOneTimePreKey: false }));
    const cert = senderCertificateFor(chain, alice, Date.now() + 3600_000);
    const dist = randomUUID();
    const senderKeys = new InMemorySenderKeyStore();
    const skdm = (await SenderKeyDistributionMessage.create(alice.address, dist, senderKeys)).serialize();
    const records = new Map([bob, carol].map((p) => [p.name, processDistributionMessage(undefined, skdm)]));

    for (const text of ['first', 'second']) {
      const ctm = await lsGroupEncrypt(alice.address, dist, senderKeys, ab(utf8(text)));
      const usmc = UnidentifiedSenderMessageContent.new(ctm, cert, ContentHint.Implicit, ab(GROUP_ID));
      const sent = await sealedSenderMultiRecipientEncrypt({
        content: usmc,
        recipients: [bob.address, carol.address],
        identityStore: alice.identityStore,
        sessionStore: alice.sessionStore,
      });
      for (const p of [bob, carol]) {
        const unsealed = unseal({
          message: splitV2ForRecipient(sent, p.name),
          recipientIdentity: identityOf(p),
          trustRoots: chain.trustRoot.getPublicKey().serialize(),
          now: Date.now(),
        });
        expect(unsealed.content.contentHint).toBe(OurContentHint.Implicit);
        expect(unsealed.content.groupId).toEqual(GROUP_ID);
        const out = groupDecrypt(records.get(p.name), groupMessageFromSealed(unsealed.content));
        records.set(p.name, out.record);
        expect(out.plaintext).toEqual(utf8(text));
      }
    }
  });

  it('a sealed content that is not a sender key message is refused by groupMessageFromSealed', () => {
    expect(() => groupMessageFromSealed({ type: SealedContentType.Whisper, senderCertificate: new Uint8Array(1), contents: new Uint8Array(70) })).toThrow(
      InvalidMessageError,
    );
  });
});
