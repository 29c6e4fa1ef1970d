/**
 * The hand-written SenderKeyRecord codec against @bufbuild/protobuf's
 * encoding of the generated schema (storage.proto): the same bytes for any
 * record, and the same reading of any encoding the schema accepts —
 * duplicated singular sub-messages merged, fields in any order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { SenderKeyRecordStructureSchema } from '../../src/gen/storage_pb.ts';
import { InvalidRecordError } from '../../src/errors.ts';
import { deserializeSenderKeyRecord, serializeSenderKeyRecord, type SenderKeyRecord } from '../../src/groups/index.ts';
import { concatBytes } from '../../src/primitives/index.ts';

const SEED = 0x5e7d;
const u32 = fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const publicKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => concatBytes(Uint8Array.of(5), k));
const privateKey = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 32, maxLength: 32 }));
const state = fc.record({
  chainId: u32,
  messageVersion: fc.oneof(fc.constant(0), fc.constant(3), u32),
  chainKey: fc.option(fc.record({ iteration: u32, seed }), { nil: undefined }),
  signingKey: fc.option(fc.record({ publicKey, privateKey }), { nil: undefined }),
  messageKeys: fc.array(fc.record({ iteration: u32, seed }), { maxLength: 6 }),
});
const record = fc.record({ states: fc.array(state, { maxLength: 6 }) });

/** protobuf-es's encoding of the same record (the generated schema as the oracle). */
function reference(r: SenderKeyRecord): Uint8Array {
  return toBinary(
    SenderKeyRecordStructureSchema,
    create(SenderKeyRecordStructureSchema, {
      senderKeyStates: r.states.map((s) => ({
        chainId: s.chainId,
        messageVersion: s.messageVersion,
        senderMessageKeys: s.messageKeys.map((k) => ({ iteration: k.iteration, seed: k.seed })),
        ...(s.chainKey === undefined ? {} : { senderChainKey: { iteration: s.chainKey.iteration, seed: s.chainKey.seed } }),
        ...(s.signingKey === undefined ? {} : { senderSigningKey: { public: s.signingKey.publicKey, private: s.signingKey.privateKey } }),
      })),
    }),
  );
}

describe('SenderKeyRecord codec', () => {
  it('writes the bytes @bufbuild/protobuf writes and reads them back unchanged', () => {
    fc.assert(
      fc.property(record, (r) => {
        const bytes = serializeSenderKeyRecord(r);
        expect(bytes).toEqual(reference(r));
        expect(deserializeSenderKeyRecord(bytes)).toEqual(r);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('reads concatenated encodings as protobuf does (repeated states appended, duplicated sub-messages merged)', () => {
    fc.assert(
      fc.property(record, record, (a, b) => {
        const joined = concatBytes(serializeSenderKeyRecord(a), serializeSenderKeyRecord(b));
        expect(deserializeSenderKeyRecord(joined).states.length).toBe(a.states.length + b.states.length);
        // One state whose body is two state encodings back to back: merged field by field.
        if (a.states.length > 0 && b.states.length > 0) {
          // The body of a one-state record: after the tag byte and the length varint.
          const bodyOf = (r: SenderKeyRecord) => {
            const one = serializeSenderKeyRecord({ states: [r.states[0]!] });
            let i = 1;
            while (one[i]! & 0x80) i++;
            return one.subarray(i + 1);
          };
          const body = concatBytes(bodyOf(a), bodyOf(b));
          const wire = concatBytes(Uint8Array.of(0x0a), varint(body.length), body);
          const ours = deserializeSenderKeyRecordOrError(wire);
          const theirs = fromBinary(SenderKeyRecordStructureSchema, wire);
          if (ours instanceof Error) {
            expect(ours).toBeInstanceOf(InvalidRecordError);
          } else {
            const s = theirs.senderKeyStates[0]!;
            const o = ours.states[0]!;
            expect(o.chainId).toBe(s.chainId);
            expect(o.messageVersion).toBe(s.messageVersion);
            expect(o.chainKey?.iteration).toBe(s.senderChainKey?.iteration);
            expect(o.chainKey?.seed).toEqual(s.senderChainKey?.seed);
            expect(o.signingKey?.publicKey).toEqual(s.senderSigningKey?.public);
            expect(o.signingKey?.privateKey).toEqual(s.senderSigningKey?.private);
            expect(o.messageKeys.length).toBe(s.senderMessageKeys.length);
          }
        }
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});

function varint(v: number): Uint8Array {
  const out: number[] = [];
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Uint8Array.from(out);
}

function deserializeSenderKeyRecordOrError(bytes: Uint8Array): SenderKeyRecord | Error {
  try {
    return deserializeSenderKeyRecord(bytes);
  } catch (e) {
    return e as Error;
  }
}
