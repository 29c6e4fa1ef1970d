/**
 * State rules against libsignal-client 0.90: the 6th distribution message
 * evicts the oldest state (its messages then give "no sender key state" in
 * both), the same chain id with another key replaces the state, and
 * re-processing the same SKDM does not rewind the chain. After every step
 * both members' records are the same bytes.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  SenderKeyDistributionMessage,
  groupDecrypt as lsGroupDecrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { ab } from '@sealpost/devkit/libsignal';
import {
  DuplicateMessageError,
  InvalidSignatureError,
  MAX_SENDER_KEY_STATES,
  NoSenderKeyStateError,
  createDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  processDistributionMessage,
  serializeSenderKeyRecord,
  type SenderKeyRecord,
} from '../../src/groups/index.ts';
import { randomBytes } from '../../src/primitives/index.ts';
import { libsignalFailure, libsignalMember, utf8, type LibsignalMember, expectSameBytes } from './helpers.ts';

/** A member in both implementations, fed the same SKDMs. */
class Pair {
  ours: SenderKeyRecord | undefined;
  readonly ls: LibsignalMember = libsignalMember();
  constructor(readonly dist: string) {}
  async process(skdm: Uint8Array): Promise<void> {
    this.ours = processDistributionMessage(this.ours, skdm);
    await processSenderKeyDistributionMessage(this.ls.address, SenderKeyDistributionMessage.deserialize(ab(skdm)), this.ls.store);
    expectSameBytes(serializeSenderKeyRecord(this.ours), this.ls.store.recordBytes(this.ls.address, this.dist));
  }
}

/** A sender chain with chosen chain id (fresh keys). */
function chain(dist: string, chainId: number) {
  return createDistributionMessage(undefined, dist, { chainId, chainKey: randomBytes(32), signingPrivateKey: randomBytes(32) });
}

describe('sender key state rules interop (libsignal-client 0.90)', () => {
  it('interop: the 6th distribution message evicts the oldest state in both', async () => {
    const dist = randomUUID();
    const pair = new Pair(dist);
    const chains = Array.from({ length: MAX_SENDER_KEY_STATES + 1 }, (_, i) => chain(dist, 100 + i));
    for (const c of chains.slice(0, MAX_SENDER_KEY_STATES)) await pair.process(c.message.serialized);
    expect(pair.ours!.states.map((s) => s.chainId)).toEqual([104, 103, 102, 101, 100]);
    const oldest = groupEncrypt(chains[0]!.record, dist, utf8('oldest')).message.serialized;
    // Before the 6th: the oldest chain still decrypts, in both.
    expect(groupDecrypt(pair.ours, oldest).plaintext).toEqual(utf8('oldest'));
    await pair.process(chains[MAX_SENDER_KEY_STATES]!.message.serialized);
    expect(pair.ours!.states.map((s) => s.chainId)).toEqual([105, 104, 103, 102, 101]);

    const before = serializeSenderKeyRecord(pair.ours!);
    expect(() => groupDecrypt(pair.ours, oldest)).toThrow(NoSenderKeyStateError);
    expectSameBytes(serializeSenderKeyRecord(pair.ours!), before);
    const failure = await libsignalFailure(() => lsGroupDecrypt(pair.ls.address, pair.ls.store, ab(oldest)));
    expect(failure.message).toBe(`missing sender key state for distribution ID ${dist}`);
    // The second-oldest chain still works in both.
    const next = groupEncrypt(chains[1]!.record, dist, utf8('second')).message.serialized;
    expect(groupDecrypt(pair.ours, next).plaintext).toEqual(utf8('second'));
    expect(await lsGroupDecrypt(pair.ls.address, pair.ls.store, ab(next))).toEqual(utf8('second'));
  });

  it('interop: the same chain id with another signing key replaces the state in both', async () => {
    const dist = randomUUID();
    const pair = new Pair(dist);
    const a = chain(dist, 7);
    const b = chain(dist, 8);
    const a2 = chain(dist, 7);
    await pair.process(a.message.serialized);
    await pair.process(b.message.serialized);
    await pair.process(a2.message.serialized);
    expect(pair.ours!.states.map((s) => s.chainId)).toEqual([7, 8]);
    const fromOld = groupEncrypt(a.record, dist, utf8('old key')).message.serialized;
    expect(() => groupDecrypt(pair.ours, fromOld)).toThrow(InvalidSignatureError);
    const failure = await libsignalFailure(() => lsGroupDecrypt(pair.ls.address, pair.ls.store, ab(fromOld)));
    expect(failure.message).toMatch(/signature/i);
    expectSameBytes(groupDecrypt(pair.ours, groupEncrypt(a2.record, dist, utf8('new key')).message.serialized).plaintext, utf8('new key'));
  });

  it('interop: re-processing the same SKDM does not rewind the chain in either', async () => {
    const dist = randomUUID();
    const pair = new Pair(dist);
    const a = chain(dist, 42);
    const other = chain(dist, 43);
    await pair.process(a.message.serialized);
    await pair.process(other.message.serialized);
    const first = groupEncrypt(a.record, dist, utf8('first'));
    const out = groupDecrypt(pair.ours, first.message.serialized);
    pair.ours = out.record;
    await lsGroupDecrypt(pair.ls.address, pair.ls.store, ab(first.message.serialized));
    await pair.process(a.message.serialized);
    // Moved to the front, chain still past iteration 0: the message is a duplicate in both.
    expect(pair.ours!.states.map((s) => s.chainId)).toEqual([42, 43]);
    expect(pair.ours!.states[0]!.chainKey!.iteration).toBe(1);
    expect(() => groupDecrypt(pair.ours, first.message.serialized)).toThrow(DuplicateMessageError);
    expect((await libsignalFailure(() => lsGroupDecrypt(pair.ls.address, pair.ls.store, ab(first.message.serialized)))).code).toBe(ErrorCode.DuplicatedMessage);
  });
});
