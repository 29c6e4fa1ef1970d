/**
 * The forward-jump bound against libsignal-client 0.90: a message
 * MAX_FORWARD_JUMPS (25,000) iterations ahead of a member's chain is
 * accepted and one more is refused, by libsignal and by Sealpost at the same
 * iteration, with the refused member's record unchanged; after the jump
 * both members' records are the same bytes. Each direction runs one jump
 * per implementation.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SenderKeyDistributionMessage,
  groupDecrypt as lsGroupDecrypt,
  groupEncrypt as lsGroupEncrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import {
  MAX_FORWARD_JUMPS,
  TooFarInFutureError,
  createDistributionMessage,
  deserializeSenderKeyRecord,
  groupDecrypt,
  groupEncrypt,
  processDistributionMessage,
  serializeSenderKeyRecord,
  type SenderKeyRecord,
} from '../../src/groups/index.ts';
import { advancedSenderRecord, libsignalFailure, libsignalMember, utf8, type LibsignalMember, expectSameBytes } from './helpers.ts';

async function libsignalMemberOf(skdm: Uint8Array): Promise<LibsignalMember> {
  const m = libsignalMember();
  await processSenderKeyDistributionMessage(m.address, SenderKeyDistributionMessage.deserialize(ab(skdm)), m.store);
  return m;
}

/** Both members refuse `tooFar` (records unchanged), then accept `farthest`; their records end equal. */
async function checkBound(ours: SenderKeyRecord, ls: LibsignalMember, dist: string, tooFar: Uint8Array, farthest: Uint8Array): Promise<void> {
  const before = serializeSenderKeyRecord(ours);
  expect(() => groupDecrypt(ours, tooFar)).toThrow(TooFarInFutureError);
  expectSameBytes(serializeSenderKeyRecord(ours), before);
  const lsBefore = ls.store.recordBytes(ls.address, dist);
  const failure = await libsignalFailure(() => lsGroupDecrypt(ls.address, ls.store, ab(tooFar)));
  expect(failure.message).toMatch(/too far into the future/);
  expectSameBytes(ls.store.recordBytes(ls.address, dist), lsBefore);
  expectSameBytes(lsBefore, before);

  const out = groupDecrypt(ours, farthest);
  expect(new TextDecoder().decode(out.plaintext)).toBe('farthest');
  expect(new TextDecoder().decode(await lsGroupDecrypt(ls.address, ls.store, ab(farthest)))).toBe('farthest');
  expectSameBytes(serializeSenderKeyRecord(out.record), ls.store.recordBytes(ls.address, dist));
}

describe('sender key forward jumps interop (libsignal-client 0.90)', () => {
  it('interop: Sealpost messages 25,000 ahead are accepted and 25,001 refused, exactly as libsignal does', async () => {
    const dist = randomUUID();
    const created = createDistributionMessage(undefined, dist);
    const farthest = groupEncrypt(advancedSenderRecord(created.record, MAX_FORWARD_JUMPS), dist, utf8('farthest')).message;
    const tooFar = groupEncrypt(advancedSenderRecord(created.record, MAX_FORWARD_JUMPS + 1), dist, utf8('too far')).message;
    expect([farthest.iteration, tooFar.iteration]).toEqual([25_000, 25_001]);
    const ls = await libsignalMemberOf(created.message.serialized);
    await checkBound(processDistributionMessage(undefined, created.message.serialized), ls, dist, tooFar.serialized, farthest.serialized);
  });

  it('interop: libsignal messages from a member at iteration 1: 25,001 accepted, 25,002 refused, as libsignal does', async () => {
    const dist = randomUUID();
    const sender = libsignalMember();
    const skdm = (await SenderKeyDistributionMessage.create(sender.address, dist, sender.store)).serialize();
    const first = (await lsGroupEncrypt(sender.address, dist, sender.store, ab(utf8('first')))).serialize();
    // libsignal's sender record moved 25,000 iterations on by our codec, then libsignal encrypts with it.
    const senderRecord = deserializeSenderKeyRecord(sender.store.recordBytes(sender.address, dist)!);
    const lsSendAt = async (record: SenderKeyRecord, text: string): Promise<Uint8Array> => {
      sender.store.putRecordBytes(sender.address, dist, serializeSenderKeyRecord(record));
      return (await lsGroupEncrypt(sender.address, dist, sender.store, ab(utf8(text)))).serialize();
    };
    const farthest = await lsSendAt(advancedSenderRecord(senderRecord, MAX_FORWARD_JUMPS), 'farthest');
    const tooFar = await lsSendAt(advancedSenderRecord(senderRecord, MAX_FORWARD_JUMPS + 1), 'too far');

    const ls = await libsignalMemberOf(skdm);
    await lsGroupDecrypt(ls.address, ls.store, ab(first));
    const ours = groupDecrypt(processDistributionMessage(undefined, skdm), first).record;
    expect(ours.states[0]!.chainKey!.iteration).toBe(1);
    await checkBound(ours, ls, dist, tooFar, farthest);
  });
});
