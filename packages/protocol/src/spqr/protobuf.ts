/**
 * A minimal protobuf (proto3) writer and reader that reproduces prost's
 * output byte for byte: fields in the order they are written (callers write
 * them in numeric order), default scalars and empty bytes omitted, present
 * sub-messages always written (even when empty), repeated elements always
 * written (empty ones too). The reader keeps every occurrence of a field;
 * decoding errors are SpqrError('StateDecode').
 */
import { SpqrError } from './errors.ts';

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Encoded size of a length-delimited field (tag, length, `length` bytes); undefined (absent) is 0. */
export function delimitedFieldSize(field: number, length: number | undefined): number {
  return length === undefined ? 0 : varintSize(field << 3) + varintSize(length) + length;
}

/** Encoded size of a singular bytes field as `bytes` writes it (0 when empty). */
export function bytesFieldSize(field: number, length: number): number {
  return length === 0 ? 0 : delimitedFieldSize(field, length);
}

/** Encoded size of a uint64 scalar field as `scalar` writes it (0 when zero). */
export function u64FieldSize(field: number, value: bigint): number {
  const v = BigInt.asUintN(64, value);
  if (v === 0n) return 0;
  if (v <= 0xffffffffn) return varintSize(field << 3) + varintSize(Number(v));
  let size = 1;
  for (let x = v; x >= 0x80n; x >>= 7n) size++;
  return varintSize(field << 3) + size;
}

/** Encoded size of a uint32 scalar field as `scalar` writes it (0 when zero). */
export function u32FieldSize(field: number, value: number): number {
  return value === 0 ? 0 : varintSize(field << 3) + varintSize(value >>> 0);
}

export class ProtoWriter {
  // Bytes are written straight into one growable buffer (no per-field
  // arrays); the output is the same sequence the field calls describe.
  private buf: Uint8Array;
  private size = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(initialCapacity);
  }

  private reserve(n: number): void {
    const need = this.size + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(64, this.buf.length * 2);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.size));
    this.buf = next;
  }

  private varint(v: bigint | number): void {
    if (typeof v === 'bigint' && v >= 0n && v <= 0xffffffffn) v = Number(v);
    if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
      this.reserve(varintSize(v));
      const buf = this.buf;
      let o = this.size;
      let x = v;
      while (x >= 0x80) {
        buf[o++] = (x & 0x7f) | 0x80;
        x = Math.floor(x / 128);
      }
      buf[o++] = x;
      this.size = o;
    } else {
      let x = BigInt.asUintN(64, BigInt(v));
      if (x <= 0xffffffffn) {
        this.varint(Number(x));
        return;
      }
      this.reserve(10);
      const buf = this.buf;
      let o = this.size;
      while (x >= 0x80n) {
        buf[o++] = Number(x & 0x7fn) | 0x80;
        x >>= 7n;
      }
      buf[o++] = Number(x);
      this.size = o;
    }
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A uint32/uint64/enum/bool scalar; omitted when zero. */
  scalar(field: number, value: bigint | number | boolean): this {
    const v = typeof value === 'boolean' ? Number(value) : value;
    if (v === 0 || v === 0n) return this;
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  /** A singular bytes field; omitted when empty. */
  bytes(field: number, value: Uint8Array): this {
    if (value.length === 0) return this;
    return this.bytesAlways(field, value);
  }

  /** One element of a repeated bytes field (always written). */
  bytesAlways(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.size);
    this.size += value.length;
    return this;
  }

  /** The tag and length of a length-delimited field whose `length` bytes the caller writes next. */
  delimitedHeader(field: number, length: number): this {
    this.tag(field, 2);
    this.varint(length);
    return this;
  }

  /** Bytes already in wire format (fields encoded earlier), copied as they are. */
  raw(value: Uint8Array): this {
    this.reserve(value.length);
    this.buf.set(value, this.size);
    this.size += value.length;
    return this;
  }

  /** A sub-message; written when present (undefined = absent). */
  message(field: number, value: Uint8Array | undefined): this {
    if (value === undefined) return this;
    return this.bytesAlways(field, value);
  }

  /** The bytes written so far (a fresh array the writer no longer touches). */
  finish(): Uint8Array {
    const out = this.buf.length === this.size ? this.buf : this.buf.slice(0, this.size);
    this.buf = new Uint8Array(0);
    this.size = 0;
    return out;
  }
}

type Value = { wire: 0; v: bigint } | { wire: 2; v: Uint8Array };

export class ProtoReader {
  private readonly fields = new Map<number, Value[]>();

  constructor(buf: Uint8Array) {
    let at = 0;
    const varint = (): bigint => {
      // fast path: up to 4 bytes (28 bits) in plain numbers
      let small = 0;
      for (let i = 0; i < 4; i++) {
        if (at + i >= buf.length) break;
        const b = buf[at + i]!;
        small |= (b & 0x7f) << (7 * i);
        if ((b & 0x80) === 0) {
          at += i + 1;
          return BigInt(small);
        }
      }
      let out = 0n;
      for (let i = 0; i < 10; i++) {
        if (at >= buf.length) throw new SpqrError('StateDecode', 'truncated varint');
        const b = buf[at++]!;
        out |= BigInt(b & 0x7f) << BigInt(7 * i);
        if ((b & 0x80) === 0) return BigInt.asUintN(64, out);
      }
      throw new SpqrError('StateDecode', 'varint too long');
    };
    while (at < buf.length) {
      const key = varint();
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (field === 0) throw new SpqrError('StateDecode', 'field number 0');
      let value: Value | undefined;
      if (wire === 0) value = { wire: 0, v: varint() };
      else if (wire === 2) {
        const len = varint();
        if (len > BigInt(buf.length - at)) throw new SpqrError('StateDecode', 'truncated field');
        value = { wire: 2, v: buf.subarray(at, at + Number(len)) };
        at += Number(len);
      } else if (wire === 1 || wire === 5) {
        const n = wire === 1 ? 8 : 4;
        if (at + n > buf.length) throw new SpqrError('StateDecode', 'truncated field');
        at += n; // unknown fixed-width field: skipped
      } else throw new SpqrError('StateDecode', `unsupported wire type ${wire}`);
      if (value !== undefined) {
        const list = this.fields.get(field) ?? [];
        list.push(value);
        this.fields.set(field, list);
      }
    }
  }

  private last(field: number, wire: 0 | 2): Value | undefined {
    const list = this.fields.get(field);
    if (list === undefined) return undefined;
    const v = list[list.length - 1]!;
    if (v.wire !== wire) throw new SpqrError('StateDecode', `field ${field} has the wrong wire type`);
    return v;
  }

  u64(field: number): bigint {
    const v = this.last(field, 0);
    return v === undefined ? 0n : (v.v as bigint);
  }

  u32(field: number): number {
    return Number(BigInt.asUintN(32, this.u64(field)));
  }

  bool(field: number): boolean {
    return this.u64(field) !== 0n;
  }

  /** A bytes field (a copy: decoders never keep views of their input). */
  bytes(field: number): Uint8Array {
    const v = this.last(field, 2);
    return v === undefined ? new Uint8Array(0) : (v.v as Uint8Array).slice();
  }

  has(field: number): boolean {
    return this.fields.has(field);
  }

  /**
   * A sub-message's bytes, or undefined when absent (prost merges repeated
   * occurrences; we take the last). A view into the input, for parsing only.
   */
  message(field: number): Uint8Array | undefined {
    return this.has(field) ? (this.last(field, 2)!.v as Uint8Array) : undefined;
  }

  /** Every element of a repeated bytes field, as copies. */
  repeatedBytes(field: number): Uint8Array[] {
    return (this.fields.get(field) ?? []).map((v) => {
      if (v.wire !== 2) throw new SpqrError('StateDecode', `field ${field} has the wrong wire type`);
      return (v.v as Uint8Array).slice();
    });
  }
}
