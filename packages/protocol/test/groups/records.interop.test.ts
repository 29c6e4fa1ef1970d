/**
 * `SenderKeyRecord` bytes moved between libsignal-client 0.90 and Sealpost
 * both ways: a sender record (with its private signing key), a member's
 * record holding 2,000 skipped keys, a record with `message_version` 0 and
 * one with five states. Each keeps working in the other implementation,
 * and a record read from libsignal is written back byte for byte.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ProtocolAddress,
  SenderKeyDistributionMessage,
  SenderKeyRecord as LsSenderKeyRecord,
  groupDecrypt as lsGroupDecrypt,
  groupEncrypt as lsGroupEncrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import {
  MAX_MESSAGE_KEYS,
  createDistributionMessage,
  deserializeSenderKeyRecord,
  groupDecrypt,
  groupEncrypt,
  processDistributionMessage,
  serializeSenderKeyRecord,
} from '../../src/groups/index.ts';
import { advancedSenderRecord, libsignalMember, utf8, expectSameBytes } from './helpers.ts';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('sender key records interop (libsignal-client 0.90)', () => {
  it('interop: a libsignal sender record keeps sending from Sealpost, and back', async () => {
    const dist = randomUUID();
    const sender = libsignalMember();
    const skdm = (await SenderKeyDistributionMessage.create(sender.address, dist, sender.store)).serialize();
    await lsGroupEncrypt(sender.address, dist, sender.store, ab(utf8('one')));
    const lsBytes = sender.store.recordBytes(sender.address, dist)!;
    const record = deserializeSenderKeyRecord(lsBytes);
    expectSameBytes(serializeSenderKeyRecord(record), lsBytes);
    expect(record.states[0]!.signingKey!.privateKey.length).toBe(32);

    const member = libsignalMember(sender.address);
    await processSenderKeyDistributionMessage(member.address, SenderKeyDistributionMessage.deserialize(ab(skdm)), member.store);
    const ours = groupEncrypt(record, dist, utf8('two from Sealpost'));
    expect(ours.message.iteration).toBe(1);
    expect(text(await lsGroupDecrypt(member.address, member.store, ab(ours.message.serialized)))).toBe('two from Sealpost');

    sender.store.putRecordBytes(sender.address, dist, serializeSenderKeyRecord(ours.record));
    const back = (await lsGroupEncrypt(sender.address, dist, sender.store, ab(utf8('three from libsignal')))).serialize();
    expect(text(await lsGroupDecrypt(member.address, member.store, ab(back)))).toBe('three from libsignal');
  });

  it('interop: a Sealpost sender record sends from libsignal', async () => {
    const dist = randomUUID();
    const created = createDistributionMessage(undefined, dist);
    const afterOne = groupEncrypt(created.record, dist, utf8('ours')).record;
    const address = ProtocolAddress.new(randomUUID(), 3);
    const sender = libsignalMember(address);
    sender.store.putRecordBytes(address, dist, serializeSenderKeyRecord(afterOne));
    const theirs = (await lsGroupEncrypt(address, dist, sender.store, ab(utf8('from libsignal with our record')))).serialize();
    const member = processDistributionMessage(undefined, created.message.serialized);
    const out = groupDecrypt(member, theirs);
    expect(text(out.plaintext)).toBe('from libsignal with our record');
    // libsignal's SenderKeyDistributionMessage.create from our record describes the same chain.
    const skdm = await SenderKeyDistributionMessage.create(address, dist, sender.store);
    expect(skdm.chainId()).toBe(created.message.chainId);
    expect(skdm.iteration()).toBe(2);
  });

  it('interop: member records with 2,000 skipped keys move both ways and serve old messages', async () => {
    const dist = randomUUID();
    const created = createDistributionMessage(undefined, dist);
    const early = groupEncrypt(advancedSenderRecord(created.record, 2400), dist, utf8('early')).message;
    const earlier = groupEncrypt(advancedSenderRecord(created.record, 2300), dist, utf8('earlier')).message;
    const late = groupEncrypt(advancedSenderRecord(created.record, 2500), dist, utf8('late')).message;

    // libsignal member -> Sealpost
    const ls = libsignalMember();
    await processSenderKeyDistributionMessage(ls.address, SenderKeyDistributionMessage.deserialize(ab(created.message.serialized)), ls.store);
    await lsGroupDecrypt(ls.address, ls.store, ab(late.serialized));
    const lsBytes = ls.store.recordBytes(ls.address, dist)!;
    const fromLs = deserializeSenderKeyRecord(lsBytes);
    expect(fromLs.states[0]!.messageKeys.length).toBe(MAX_MESSAGE_KEYS);
    expect(fromLs.states[0]!.signingKey!.privateKey.length).toBe(0);
    expectSameBytes(serializeSenderKeyRecord(fromLs), lsBytes);
    expect(text(groupDecrypt(fromLs, early.serialized).plaintext)).toBe('early');

    // Sealpost member -> libsignal
    const ours = groupDecrypt(processDistributionMessage(undefined, created.message.serialized), late.serialized).record;
    const ourBytes = serializeSenderKeyRecord(ours);
    expectSameBytes(ourBytes, lsBytes);
    const ls2 = libsignalMember();
    ls2.store.putRecordBytes(ls2.address, dist, ourBytes);
    expect(text(await lsGroupDecrypt(ls2.address, ls2.store, ab(earlier.serialized)))).toBe('earlier');
    expectSameBytes(LsSenderKeyRecord.deserialize(ab(ourBytes)).serialize(), ourBytes);
  });

  it('interop: a record with message_version 0 reads as version 3 in both', async () => {
    const dist = randomUUID();
    const created = createDistributionMessage(undefined, dist);
    const member = processDistributionMessage(undefined, created.message.serialized);
    const v0 = { states: [{ ...member.states[0]!, messageVersion: 0 }] };
    const v0Bytes = serializeSenderKeyRecord(v0);
    expect(v0Bytes.length).toBe(serializeSenderKeyRecord(member).length - 2);
    const message = groupEncrypt(created.record, dist, utf8('v0')).message;

    expect(text(groupDecrypt(deserializeSenderKeyRecord(v0Bytes), message.serialized).plaintext)).toBe('v0');
    const ls = libsignalMember();
    ls.store.putRecordBytes(ls.address, dist, v0Bytes);
    expect(text(await lsGroupDecrypt(ls.address, ls.store, ab(message.serialized)))).toBe('v0');
    // Both write the state back with its version still 0 (absent).
    const ours = groupDecrypt(deserializeSenderKeyRecord(v0Bytes), message.serialized).record;
    expectSameBytes(serializeSenderKeyRecord(ours), ls.store.recordBytes(ls.address, dist));

    // A v0 sender record: libsignal's SKDM and messages say version 3.
    const senderV0 = { states: [{ ...created.record.states[0]!, messageVersion: 0 }] };
    const out = groupEncrypt(senderV0, dist, utf8('x'));
    expect(out.message.serialized[0]).toBe(0x33);
    expect(createDistributionMessage(senderV0, dist).message.serialized[0]).toBe(0x33);
  });

  it('interop: a five-state libsignal record round-trips byte for byte', async () => {
    const dist = randomUUID();
    const ls = libsignalMember();
    for (let i = 0; i < 5; i++) {
      const s = libsignalMember(ls.address);
      const skdm = await SenderKeyDistributionMessage.create(s.address, dist, s.store);
      await processSenderKeyDistributionMessage(ls.address, skdm, ls.store);
    }
    const bytes = ls.store.recordBytes(ls.address, dist)!;
    const record = deserializeSenderKeyRecord(bytes);
    expect(record.states.length).toBe(5);
    expectSameBytes(serializeSenderKeyRecord(record), bytes);
  });
});
