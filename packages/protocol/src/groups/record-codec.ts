/**
 * `SenderKeyRecord` bytes in libsignal v0.90.0's layout (storage.proto
 * `SenderKeyRecordStructure`, proto3), so records move between libsignal
 * and Sealpost both ways: a record libsignal wrote decodes here and encodes
 * back to the same bytes.
 *
 * A member's record can hold 2,000 skipped keys (~80 KB) and is read and
 * written on every group message, so both directions are hand-written over
 * the generated schema's wire rules: the strict pre-check
 * (wire/strict-wire.ts, derived from the generated descriptor) first, then
 * a direct reader; the writer sizes the output once and fills it (proto3:
 * zero and empty values left out; fields in number order, as prost writes
 * them). `test/groups/record-codec.test.ts` checks both against
 * @bufbuild/protobuf's own encoding.
 *
 * Decoding is strict where libsignal's later use would fail anyway: key and
 * seed lengths are checked here (InvalidRecordError) instead of at the
 * first encrypt or decrypt.
 */
import { InvalidRecordError } from '../errors.ts';
import { SenderKeyRecordStructureSchema } from '../gen/storage_pb.ts';
import { isSerializedCurvePublicKey } from '../keys/curve-key.ts';
import { WireFormatError, WireReader, canonicalWire } from '../wire/strict-wire.ts';
import { wireSchemaOf } from '../wire/wire-schemas.ts';
import { SENDER_CHAIN_KEY_LENGTH } from './constants.ts';
import type { SenderKeyRecord } from './record.ts';
import type { SenderKeyState, SenderSigningKey, StoredSenderMessageKey } from './state.ts';
import type { SenderChainKey } from './chain-key.ts';

// ---- writing ----------------------------------------------------------------

const varintLength = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);
const uintField = (v: number): number => (v === 0 ? 0 : 1 + varintLength(v));
const bytesField = (b: Uint8Array): number => (b.length === 0 ? 0 : 1 + varintLength(b.length) + b.length);
const nested = (length: number): number => 1 + varintLength(length) + length;
const pairLength = (iteration: number, seed: Uint8Array): number => uintField(iteration) + bytesField(seed);
const signingLength = (k: SenderSigningKey): number => bytesField(k.publicKey) + bytesField(k.privateKey);

function stateLength(s: SenderKeyState): number {
  let n = uintField(s.chainId) + uintField(s.messageVersion);
  if (s.chainKey !== undefined) n += nested(pairLength(s.chainKey.iteration, s.chainKey.seed));
  if (s.signingKey !== undefined) n += nested(signingLength(s.signingKey));
  for (const k of s.messageKeys) n += nested(pairLength(k.iteration, k.seed));
  return n;
}

/** Fills a buffer sized in advance. Tags are single bytes here (field numbers ≤ 5). */
class Filler {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  varint(v: number): void {
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  uint(tag: number, v: number): void {
    if (v === 0) return;
    this.buf[this.pos++] = tag;
    this.varint(v);
  }
  bytes(tag: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.buf[this.pos++] = tag;
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  open(tag: number, length: number): void {
    this.buf[this.pos++] = tag;
    this.varint(length);
  }
}

// (field number << 3) | wire type
const TAG_STATE = 0x0a;
const TAG_UINT_1 = 0x08;
const TAG_BYTES_1 = 0x0a;
const TAG_BYTES_2 = 0x12;
const TAG_SIGNING = 0x1a;
const TAG_MESSAGE_KEY = 0x22;
const TAG_VERSION = 0x28;

/** The record's bytes (libsignal `SenderKeyRecord::serialize`). */
export function serializeSenderKeyRecord(record: SenderKeyRecord): Uint8Array {
  const lengths = record.states.map(stateLength);
  const out = new Filler(new Uint8Array(lengths.reduce((sum, l) => sum + nested(l), 0)));
  record.states.forEach((s, i) => {
    out.open(TAG_STATE, lengths[i]!);
    out.uint(TAG_UINT_1, s.chainId);
    if (s.chainKey !== undefined) {
      out.open(TAG_BYTES_2, pairLength(s.chainKey.iteration, s.chainKey.seed));
      out.uint(TAG_UINT_1, s.chainKey.iteration);
      out.bytes(TAG_BYTES_2, s.chainKey.seed);
    }
    if (s.signingKey !== undefined) {
      out.open(TAG_SIGNING, signingLength(s.signingKey));
      out.bytes(TAG_BYTES_1, s.signingKey.publicKey);
      out.bytes(TAG_BYTES_2, s.signingKey.privateKey);
    }
    for (const k of s.messageKeys) {
      out.open(TAG_MESSAGE_KEY, pairLength(k.iteration, k.seed));
      out.uint(TAG_UINT_1, k.iteration);
      out.bytes(TAG_BYTES_2, k.seed);
    }
    out.uint(TAG_VERSION, s.messageVersion);
  });
  return out.buf;
}

// ---- reading ----------------------------------------------------------------
// The input has passed the strict pre-check: every tag has its schema's wire
// type, lengths fit, unknown fields are gone. A singular nested message that
// occurs twice is merged into the first, as protobuf decoders (prost too) do.

const EMPTY = new Uint8Array(0);
const NO_SCHEMA_DRIFT = wireSchemaOf(SenderKeyRecordStructureSchema);

function u32(r: WireReader): number {
  return r.varint()[0];
}

function nestedReader(r: WireReader): WireReader {
  const length = r.length();
  const inner = new WireReader(r.buf, r.pos, r.pos + length);
  r.pos += length;
  return inner;
}

/** Reads {iteration = 1, seed = 2} into `into` (SenderChainKey and SenderMessageKey share it). */
function readPair(r: WireReader, into: { iteration: number; seed: Uint8Array }): void {
  while (r.pos < r.end) {
    const [field] = r.tag();
    if (field === 1) into.iteration = u32(r);
    else into.seed = r.take(r.length()).slice();
  }
}

function readSigning(r: WireReader, into: { publicKey: Uint8Array; privateKey: Uint8Array }): void {
  while (r.pos < r.end) {
    const [field] = r.tag();
    if (field === 1) into.publicKey = r.take(r.length()).slice();
    else into.privateKey = r.take(r.length()).slice();
  }
}

function readState(r: WireReader): SenderKeyState {
  let chainId = 0;
  let messageVersion = 0;
  let chainKey: { iteration: number; seed: Uint8Array } | undefined;
  let signingKey: { publicKey: Uint8Array; privateKey: Uint8Array } | undefined;
  const messageKeys: StoredSenderMessageKey[] = [];
  while (r.pos < r.end) {
    const [field] = r.tag();
    switch (field) {
      case 1:
        chainId = u32(r);
        break;
      case 2:
        readPair(nestedReader(r), (chainKey ??= { iteration: 0, seed: EMPTY }));
        break;
      case 3:
        readSigning(nestedReader(r), (signingKey ??= { publicKey: EMPTY, privateKey: EMPTY }));
        break;
      case 4: {
        const key = { iteration: 0, seed: EMPTY };
        readPair(nestedReader(r), key);
        messageKeys.push(key);
        break;
      }
      default:
        messageVersion = u32(r);
    }
  }
  return { chainId, messageVersion, chainKey: chainKey as SenderChainKey | undefined, signingKey, messageKeys };
}

function checkState(state: SenderKeyState, index: number): SenderKeyState {
  const what = `sender key record state ${index}`;
  if (state.chainKey !== undefined && state.chainKey.seed.length !== SENDER_CHAIN_KEY_LENGTH) {
    throw new InvalidRecordError(`${what}: chain key must be ${SENDER_CHAIN_KEY_LENGTH} bytes, got ${state.chainKey.seed.length}`);
  }
  const signing = state.signingKey;
  if (signing !== undefined) {
    if (!isSerializedCurvePublicKey(signing.publicKey)) {
      throw new InvalidRecordError(`${what}: signing key must be 33 bytes starting with 0x05 (got ${signing.publicKey.length} bytes)`);
    }
    if (signing.privateKey.length !== 0 && signing.privateKey.length !== 32) {
      throw new InvalidRecordError(`${what}: private signing key must be 32 bytes or empty, got ${signing.privateKey.length}`);
    }
  }
  for (const k of state.messageKeys) {
    if (k.seed.length !== SENDER_CHAIN_KEY_LENGTH) throw new InvalidRecordError(`${what}: message key ${k.iteration} has a ${k.seed.length}-byte seed`);
  }
  return state;
}

/** Parses record bytes (libsignal `SenderKeyRecord::deserialize`); a bad record is an InvalidRecordError. */
export function deserializeSenderKeyRecord(bytes: Uint8Array): SenderKeyRecord {
  if (!(bytes instanceof Uint8Array)) throw new InvalidRecordError('sender key record must be a Uint8Array');
  let canonical: Uint8Array;
  try {
    canonical = canonicalWire(bytes, NO_SCHEMA_DRIFT);
  } catch (e) {
    if (e instanceof WireFormatError) throw new InvalidRecordError(`sender key record: malformed protobuf (${e.message})`);
    throw e;
  }
  const r = new WireReader(canonical, 0, canonical.length);
  const states: SenderKeyState[] = [];
  while (r.pos < r.end) {
    r.tag();
    states.push(checkState(readState(nestedReader(r)), states.length));
  }
  return { states };
}
