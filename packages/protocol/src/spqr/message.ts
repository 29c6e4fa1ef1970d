/**
 * The SPQR V1 wire message (what SignalMessage field 5 carries). Not protobuf:
 *   0x01 ‖ varint epoch (u64, ≥ 1) ‖ varint index (u32) ‖ type byte
 *   [‖ varint chunk index (≤ 65535) ‖ 32 chunk bytes]   for Hdr/Ek/EkCt1Ack/Ct1/Ct2
 * Varints are LEB128, at most 10 bytes (bits past 64 dropped). Trailing bytes
 * after a well-formed message are allowed and ignored.
 */
import { SpqrError } from './errors.ts';
import type { Chunk } from './polynomial.ts';

export const MESSAGE_VERSION_V1 = 1;

export type MessagePayload =
  | { type: 'none' }
  | { type: 'ct1Ack' }
  | { type: 'hdr' | 'ek' | 'ekCt1Ack' | 'ct1' | 'ct2'; chunk: Chunk };

export interface SpqrMessage {
  epoch: bigint;
  payload: MessagePayload;
}

const TYPE_CODES = { none: 0, hdr: 1, ek: 2, ekCt1Ack: 3, ct1Ack: 4, ct1: 5, ct2: 6 } as const;
const TYPE_NAMES = ['none', 'hdr', 'ek', 'ekCt1Ack', 'ct1Ack', 'ct1', 'ct2'] as const;
const MAX_VARINT_BYTES = 10;
const U64_MASK = (1n << 64n) - 1n;

export function encodeVarint(value: bigint, out: number[]): void {
  let v = value & U64_MASK;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const byte = Number(v & 0x7fn);
    if (v < 0x80n) {
      out.push(byte);
      return;
    }
    out.push(0x80 | byte);
    v >>= 7n;
  }
}

/** Reads a varint at `at`; returns the value and the offset after it. */
export function decodeVarint(from: Uint8Array, at: number): { value: bigint; next: number } {
  if (at >= from.length) throw new SpqrError('MsgDecode', 'truncated varint');
  // Fast path: up to 4 bytes (28 bits) in plain numbers, as every epoch, index and chunk index in practice.
  let small = 0;
  for (let i = 0; i < 4 && at + i < from.length; i++) {
    const byte = from[at + i]!;
    small |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) return { value: BigInt(small), next: at + i + 1 };
  }
  const max = Math.min(MAX_VARINT_BYTES, from.length - at);
  let out = 0n;
  for (let i = 0; i < max; i++) {
    const byte = from[at + i]!;
    out |= (BigInt(byte & 0x7f) << BigInt(7 * i)) & U64_MASK;
    if ((byte & 0x80) === 0) return { value: out, next: at + i + 1 };
  }
  throw new SpqrError('MsgDecode', 'unterminated varint');
}

function smallVarintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) size++;
  return size;
}

/** Writes `value` (< 2^32, a plain number) as a varint at `at`; returns the offset after it. */
function putSmallVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}

/** Encodes straight into one exact buffer (big epochs, ≥ 2^32, take the general varint). */
export function serializeMessage(msg: SpqrMessage, index: number): Uint8Array {
  const epoch = msg.epoch & U64_MASK;
  const ix = index >>> 0;
  const chunk = 'chunk' in msg.payload ? msg.payload.chunk : undefined;
  if (epoch > 0xffffffffn) {
    const out: number[] = [MESSAGE_VERSION_V1];
    encodeVarint(epoch, out);
    encodeVarint(BigInt(ix), out);
    out.push(TYPE_CODES[msg.payload.type]);
    if (chunk !== undefined) {
      encodeVarint(BigInt(chunk.index), out);
      for (const b of chunk.data) out.push(b);
    }
    return Uint8Array.from(out);
  }
  const e = Number(epoch);
  const size = 2 + smallVarintSize(e) + smallVarintSize(ix) + (chunk === undefined ? 0 : smallVarintSize(chunk.index) + chunk.data.length);
  const buf = new Uint8Array(size);
  buf[0] = MESSAGE_VERSION_V1;
  let at = putSmallVarint(buf, 1, e);
  at = putSmallVarint(buf, at, ix);
  buf[at++] = TYPE_CODES[msg.payload.type];
  if (chunk !== undefined) {
    at = putSmallVarint(buf, at, chunk.index);
    buf.set(chunk.data, at);
    at += chunk.data.length;
  }
  return buf;
}

/** Parses a V1 message; `consumed` is where the message ended (trailing bytes are allowed). */
export function deserializeMessage(from: Uint8Array): { msg: SpqrMessage; index: number; consumed: number } {
  if (from.length === 0 || from[0] !== MESSAGE_VERSION_V1) throw new SpqrError('MsgDecode', 'not a V1 message');
  const e = decodeVarint(from, 1);
  if (e.value === 0n) throw new SpqrError('MsgDecode', 'epoch 0');
  const ix = decodeVarint(from, e.next);
  if (ix.value > 0xffffffffn) throw new SpqrError('MsgDecode', 'index does not fit u32');
  let at = ix.next;
  if (at >= from.length) throw new SpqrError('MsgDecode', 'missing message type');
  const name = TYPE_NAMES[from[at]!];
  if (name === undefined) throw new SpqrError('MsgDecode', `unknown message type ${from[at]}`);
  at += 1;
  let payload: MessagePayload;
  if (name === 'none' || name === 'ct1Ack') payload = { type: name };
  else {
    const ci = decodeVarint(from, at);
    if (ci.next + 32 > from.length || ci.value > 65535n) throw new SpqrError('MsgDecode', 'bad chunk');
    payload = { type: name, chunk: { index: Number(ci.value), data: from.slice(ci.next, ci.next + 32) } };
    at = ci.next + 32;
  }
  return { msg: { epoch: e.value, payload }, index: Number(ix.value), consumed: at };
}
