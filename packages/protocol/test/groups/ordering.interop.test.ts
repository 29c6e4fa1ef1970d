/**
 * Out-of-order and repeated delivery, against libsignal-client 0.90 both
 * ways: hundreds of group messages shuffled and duplicated are decrypted by
 * a libsignal member and a Sealpost member side by side; every duplicate is
 * refused by both; after the same deliveries both members' records are the
 * same bytes. Also the skipped-key bound: the 2001st skipped key evicts the
 * oldest in both.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  SenderKeyDistributionMessage,
  groupDecrypt as lsGroupDecrypt,
  groupEncrypt as lsGroupEncrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import {
  DuplicateMessageError,
  MAX_MESSAGE_KEYS,
  createDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  processDistributionMessage,
  serializeSenderKeyRecord,
  type SenderKeyRecord,
} from '../../src/groups/index.ts';
import { advancedSenderRecord, libsignalFailure, libsignalMember, shuffled, utf8, expectSameBytes } from './helpers.ts';

const COUNT = 300;

/** Delivers `messages` (index = iteration) in a shuffled order with every 7th repeated, to both members. */
async function deliverToBoth(messages: Uint8Array[], skdm: Uint8Array, seed: number): Promise<void> {
  const lsMember = libsignalMember();
  await processSenderKeyDistributionMessage(lsMember.address, SenderKeyDistributionMessage.deserialize(ab(skdm)), lsMember.store);
  let ours: SenderKeyRecord = processDistributionMessage(undefined, skdm);
  const order = shuffled(
    messages.map((_, i) => i),
    seed,
  );
  const deliveries = order.flatMap((i, k) => (k % 7 === 0 ? [i, i] : [i]));
  const seen = new Set<number>();
  let duplicates = 0;
  for (const i of deliveries) {
    const bytes = messages[i]!;
    if (seen.has(i)) {
      duplicates++;
      const before = serializeSenderKeyRecord(ours);
      expect(() => groupDecrypt(ours, bytes)).toThrow(DuplicateMessageError);
      expectSameBytes(serializeSenderKeyRecord(ours), before);
      const lsBefore = lsMember.store.recordBytes(lsMember.address, decodeDist(skdm));
      const failure = await libsignalFailure(() => lsGroupDecrypt(lsMember.address, lsMember.store, ab(bytes)));
      expect(failure.code).toBe(ErrorCode.DuplicatedMessage);
      expectSameBytes(lsMember.store.recordBytes(lsMember.address, decodeDist(skdm)), lsBefore);
      continue;
    }
    seen.add(i);
    const out = groupDecrypt(ours, bytes);
    ours = out.record;
    expect(new TextDecoder().decode(out.plaintext)).toBe(`message ${i}`);
    expect(new TextDecoder().decode(await lsGroupDecrypt(lsMember.address, lsMember.store, ab(bytes)))).toBe(`message ${i}`);
  }
  expect(duplicates).toBeGreaterThan(40);
  expect(seen.size).toBe(messages.length);
  // The same deliveries leave both members with the same record bytes.
  expectSameBytes(serializeSenderKeyRecord(ours), lsMember.store.recordBytes(lsMember.address, decodeDist(skdm)));
}

function decodeDist(skdm: Uint8Array): string {
  return SenderKeyDistributionMessage.deserialize(ab(skdm)).distributionId();
}

describe('sender key ordering interop (libsignal-client 0.90)', () => {
  it('interop: 300 libsignal group messages, shuffled with duplicates, decrypt in Sealpost and libsignal alike', async () => {
    const dist = randomUUID();
    const sender = libsignalMember();
    const skdm = (await SenderKeyDistributionMessage.create(sender.address, dist, sender.store)).serialize();
    const messages: Uint8Array[] = [];
    for (let i = 0; i < COUNT; i++) messages.push((await lsGroupEncrypt(sender.address, dist, sender.store, ab(utf8(`message ${i}`)))).serialize());
    await deliverToBoth(messages, skdm, 11);
  });

  it('interop: 300 Sealpost group messages, shuffled with duplicates, decrypt in libsignal and Sealpost alike', async () => {
    const dist = randomUUID();
    const created = createDistributionMessage(undefined, dist);
    let record = created.record;
    const messages: Uint8Array[] = [];
    for (let i = 0; i < COUNT; i++) {
      const out = groupEncrypt(record, dist, utf8(`message ${i}`));
      record = out.record;
      messages.push(out.message.serialized);
    }
    await deliverToBoth(messages, created.message.serialized, 29);
  });

  it('interop: the 2001st skipped key evicts the oldest, in both implementations', async () => {
    const dist = randomUUID();
    const created = createDistributionMessage(undefined, dist);
    const first = groupEncrypt(created.record, dist, utf8('message 0'));
    const second = groupEncrypt(first.record, dist, utf8('message 1'));
    // Iteration MAX_MESSAGE_KEYS + 1 skips 0..MAX_MESSAGE_KEYS: one key too many.
    const far = groupEncrypt(advancedSenderRecord(created.record, MAX_MESSAGE_KEYS + 1), dist, utf8('far'));
    expect(far.message.iteration).toBe(MAX_MESSAGE_KEYS + 1);

    const lsMember = libsignalMember();
    await processSenderKeyDistributionMessage(lsMember.address, SenderKeyDistributionMessage.deserialize(ab(created.message.serialized)), lsMember.store);
    let ours = processDistributionMessage(undefined, created.message.serialized);

    const farOurs = groupDecrypt(ours, far.message.serialized);
    ours = farOurs.record;
    expect(new TextDecoder().decode(await lsGroupDecrypt(lsMember.address, lsMember.store, ab(far.message.serialized)))).toBe('far');
    expect(ours.states[0]!.messageKeys.length).toBe(MAX_MESSAGE_KEYS);
    expectSameBytes(serializeSenderKeyRecord(ours), lsMember.store.recordBytes(lsMember.address, dist));

    // Iteration 0 was evicted: a duplicate to both.
    expect(() => groupDecrypt(ours, first.message.serialized)).toThrow(DuplicateMessageError);
    expect((await libsignalFailure(() => lsGroupDecrypt(lsMember.address, lsMember.store, ab(first.message.serialized)))).code).toBe(ErrorCode.DuplicatedMessage);
    // Iteration 1 is still there.
    expect(new TextDecoder().decode(groupDecrypt(ours, second.message.serialized).plaintext)).toBe('message 1');
    expect(new TextDecoder().decode(await lsGroupDecrypt(lsMember.address, lsMember.store, ab(second.message.serialized)))).toBe('message 1');
  });
});
