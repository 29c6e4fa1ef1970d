/**
 * The strict pre-check (issue 11 item 13), case by case: what libsignal's
 * decoder (prost) refuses we refuse, what it accepts we read the same way.
 * The differential tests against libsignal itself are in test/interop.
 */
import { describe, expect, it } from 'vitest';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { InvalidMessageError, InvalidRecordError } from '../../src/errors.ts';
import { decodeSignalMessage } from '../../src/messages/signal-message.ts';
import { deserializePreKeyRecord } from '../../src/keys/prekey-records.ts';
import { deserializeSessionRecord } from '../../src/session/session-record.ts';
import { decodeSealedContent } from '../../src/sealed-sender/content.ts';
import { InvalidSealedMessageError } from '../../src/errors.ts';
import { compareScannableFingerprints, encodeScannable } from '../../src/fingerprint.ts';
import { canonicalWire, WireFormatError } from '../../src/wire/strict-wire.ts';
import { wireSchemaOf } from '../../src/wire/wire-schemas.ts';
import { PreKeyRecordStructureSchema } from '../../src/gen/storage_pb.ts';

const KEY = Uint8Array.of(5, ...new Uint8Array(32).fill(7));
/** version ‖ body ‖ 8-byte MAC */
const framed = (body: Uint8Array) => Uint8Array.from([0x44, ...body, ...new Uint8Array(8)]);
const signalBody = (extra: number[] = [], counter: number[] = [0x10, 0x05]) =>
  Uint8Array.from([0x0a, 0x21, ...KEY, ...counter, 0x22, 0x03, 1, 2, 3, ...extra]);

describe('strict protobuf pre-check (issue 11 item 13)', () => {
  it('reads a well-formed message and accepts non-minimal varints as prost does, tags included', () => {
    expect(decodeSignalMessage(framed(signalBody())).counter).toBe(5);
    // counter 5 as a 10-byte varint, and the tag of field 2 as a 6-byte varint
    const padded = [0x90, 0x80, 0x80, 0x80, 0x80, 0x00, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    expect(decodeSignalMessage(framed(signalBody([], padded))).counter).toBe(5);
  });

  it('refuses a known field with the wrong wire type', () => {
    // counter (field 2) sent length-delimited
    expect(() => decodeSignalMessage(framed(signalBody([], [0x12, 0x01, 0x05])))).toThrow(/field 2 has wire type 2/);
    // the USMC's sender certificate (field 2) sent as a varint: the hand-written reader used to skip it
    expect(() => decodeSealedContent(Uint8Array.of(0x08, 0x02, 0x10, 0x01, 0x1a, 0x00))).toThrow(InvalidSealedMessageError);
  });

  it('refuses lengths ≥ 2^32 instead of truncating them, and varints over 10 bytes', () => {
    // ciphertext length 2^32 + 3, then 3 bytes: a 32-bit reader sees length 3
    const huge = [0x22, 0x83, 0x80, 0x80, 0x80, 0x10, 1, 2, 3];
    expect(() => decodeSignalMessage(framed(Uint8Array.from([0x0a, 0x21, ...KEY, 0x10, 0x05, ...huge])))).toThrow(InvalidMessageError);
    const elevenBytes = [0x10, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    expect(() => decodeSignalMessage(framed(signalBody([], elevenBytes)))).toThrow(InvalidMessageError);
    expect(() => canonicalWire(Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), wireSchemaOf(PreKeyRecordStructureSchema))).toThrow(
      WireFormatError,
    );
  });

  it('checks nested lengths against the enclosing message', () => {
    // RecordStructure.current_session (4 bytes) holding a chain whose length (10) runs past it
    expect(() => deserializeSessionRecord(Uint8Array.of(0x0a, 0x04, 0x32, 0x0a, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(InvalidRecordError);
  });

  it('refuses stray end-group tags and field number 0, skips unknown groups', () => {
    const record = new BinaryWriter().tag(1, WireType.Varint).uint32(9).finish();
    expect(() => deserializePreKeyRecord(Uint8Array.from([...record, 0x0c]))).toThrow(InvalidRecordError);
    expect(() => deserializePreKeyRecord(Uint8Array.from([...record, 0x00, 0x00]))).toThrow(InvalidRecordError);
    const group = [0xa3, 0x01, 0x08, 0x01, 0xa4, 0x01]; // field 20 start, {1: 1}, field 20 end
    expect(() => deserializePreKeyRecord(Uint8Array.from([...record, ...group]))).toThrow(/public key/);
  });

  it('merges a repeated fingerprint sub-message as protobuf (and libsignal) do', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const ours = encodeScannable(2, a, b);
    const theirs = encodeScannable(2, b, a);
    // their `local` again, without content: the merged message keeps the content
    const repeated = Uint8Array.from([...theirs, 0x12, 0x00]);
    expect(compareScannableFingerprints(ours, repeated)).toBe(true);
  });
});
