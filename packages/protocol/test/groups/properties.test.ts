/**
 * Properties of the sender-key core (fast-check, seeded): whatever the
 * delivery order and repetition, each message decrypts exactly once and a
 * repeat is a DuplicateMessageError that leaves the record's bytes as they
 * were; any changed byte of a message is a typed error that changes
 * nothing; records survive a serialize/deserialize round trip unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DuplicateMessageError,
  createDistributionMessage,
  deserializeSenderKeyRecord,
  groupDecrypt,
  groupEncrypt,
  processDistributionMessage,
  serializeSenderKeyRecord,
  type SenderKeyRecord,
} from '../../src/groups/index.ts';
import { SealpostError } from '../../src/errors.ts';
import { expectSameBytes } from './helpers.ts';

const SEED = 0x13;
const DIST = '0b9f3c1e-2a4d-4e6f-8a1b-3c5d7e9f1a2b';

/** A sender and `count` messages (iteration i carries the byte i repeated). */
function chainWithMessages(count: number): { skdm: Uint8Array; messages: Uint8Array[] } {
  const created = createDistributionMessage(undefined, DIST);
  let record = created.record;
  const messages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const out = groupEncrypt(record, DIST, new Uint8Array(i % 40).fill(i));
    record = out.record;
    messages.push(out.message.serialized);
  }
  return { skdm: created.message.serialized, messages };
}

const POOL = chainWithMessages(60);

describe('sender key properties', () => {
  it('any delivery order with repeats: each message decrypts once, repeats are refused without a change', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: POOL.messages.length - 1 }), { minLength: 1, maxLength: 120 }), (order) => {
        let record: SenderKeyRecord = processDistributionMessage(undefined, POOL.skdm);
        const seen = new Set<number>();
        for (const i of order) {
          if (seen.has(i)) {
            const before = serializeSenderKeyRecord(record);
            expect(() => groupDecrypt(record, POOL.messages[i]!)).toThrow(DuplicateMessageError);
            expectSameBytes(serializeSenderKeyRecord(record), before);
            continue;
          }
          const out = groupDecrypt(record, POOL.messages[i]!);
          expect(out.plaintext).toEqual(new Uint8Array(i % 40).fill(i));
          record = out.record;
          seen.add(i);
        }
        expect(deserializeSenderKeyRecord(serializeSenderKeyRecord(record))).toEqual(record);
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it('any changed byte of a message is a typed error and the record stays byte-identical', () => {
    const record = processDistributionMessage(undefined, POOL.skdm);
    const before = serializeSenderKeyRecord(record);
    fc.assert(
      fc.property(fc.nat({ max: POOL.messages.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (m, at, xor) => {
        const bad = POOL.messages[m]!.slice();
        bad[at % bad.length]! ^= xor;
        expect(() => groupDecrypt(record, bad)).toThrow(SealpostError);
        expectSameBytes(serializeSenderKeyRecord(record), before);
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('truncated and extended messages are typed errors', () => {
    const record = processDistributionMessage(undefined, POOL.skdm);
    fc.assert(
      fc.property(fc.nat({ max: POOL.messages.length - 1 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (m, cut, extra) => {
        const msg = POOL.messages[m]!;
        expect(() => groupDecrypt(record, msg.subarray(0, cut % msg.length))).toThrow(SealpostError);
        const longer = new Uint8Array(msg.length + extra.length);
        longer.set(msg);
        longer.set(extra, msg.length);
        expect(() => groupDecrypt(record, longer)).toThrow(SealpostError);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
