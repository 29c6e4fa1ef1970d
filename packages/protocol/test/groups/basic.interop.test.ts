/**
 * Sender keys against libsignal-client 0.90: distribution messages made by
 * either side processed by the other, group messages both ways.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SenderKeyDistributionMessage,
  SenderKeyMessage as LsSenderKeyMessage,
  groupDecrypt as lsGroupDecrypt,
  groupEncrypt as lsGroupEncrypt,
  processSenderKeyDistributionMessage,
  CiphertextMessageType,
  PublicKey,
} from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import {
  createDistributionMessage,
  decodeDistributionMessage,
  decodeSenderKeyMessage,
  groupDecrypt,
  groupEncrypt,
  processDistributionMessage,
  type SenderKeyRecord,
} from '../../src/groups/index.ts';
import { libsignalMember, utf8 } from './helpers.ts';

describe('sender keys interop (libsignal-client 0.90)', () => {
  it('interop: a Sealpost SKDM is processed by libsignal, which decrypts our group messages', async () => {
    const dist = randomUUID();
    const created = createDistributionMessage(undefined, dist);
    expect(created.message.serialized[0]).toBe(0x33);
    const lsSkdm = SenderKeyDistributionMessage.deserialize(ab(created.message.serialized));
    expect(lsSkdm.distributionId()).toBe(dist);
    expect(lsSkdm.chainId()).toBe(created.message.chainId);
    expect(lsSkdm.iteration()).toBe(0);
    const member = libsignalMember();
    await processSenderKeyDistributionMessage(member.address, lsSkdm, member.store);
    let record: SenderKeyRecord = created.record;
    for (let i = 0; i < 5; i++) {
      const sent = groupEncrypt(record, dist, utf8(`hello ${i}`));
      record = sent.record;
      expect(sent.message.iteration).toBe(i);
      expect(sent.message.serialized[0]).toBe(0x33);
      const plain = await lsGroupDecrypt(member.address, member.store, ab(sent.message.serialized));
      expect(new TextDecoder().decode(plain)).toBe(`hello ${i}`);
      expect(LsSenderKeyMessage.deserialize(ab(sent.message.serialized)).verifySignature(PublicKey.deserialize(ab(created.message.signingKey)))).toBe(true);
    }
  });

  it('interop: a libsignal SKDM is processed by Sealpost, which decrypts libsignal group messages', async () => {
    const dist = randomUUID();
    const sender = libsignalMember();
    const skdm = await SenderKeyDistributionMessage.create(sender.address, dist, sender.store);
    const ours = decodeDistributionMessage(skdm.serialize());
    expect(ours.chainId).toBe(skdm.chainId());
    expect(ours.chainKey).toEqual(skdm.chainKey());
    let record = processDistributionMessage(undefined, skdm.serialize());
    for (let i = 0; i < 5; i++) {
      const ctm = await lsGroupEncrypt(sender.address, dist, sender.store, ab(utf8(`hi ${i}`)));
      expect(ctm.type()).toBe(CiphertextMessageType.SenderKey);
      const bytes = ctm.serialize();
      expect(decodeSenderKeyMessage(bytes).iteration).toBe(i);
      const out = groupDecrypt(record, bytes);
      record = out.record;
      expect(new TextDecoder().decode(out.plaintext)).toBe(`hi ${i}`);
    }
  });
});
