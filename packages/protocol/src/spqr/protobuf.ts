/**
 * A minimal protobuf (proto3) writer and reader that reproduces prost's
 * output byte for byte: fields in the order they are written (callers write
 * them in numeric order), default scalars and empty bytes omitted, present
 * sub-messages always written (even when empty), repeated elements always
 * written (empty ones too). The reader keeps every occurrence of a field;
 * decoding errors are SpqrError('StateDecode').
 */
import { SpqrError } from './errors.ts';

export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  private varint(v: bigint | number): void {
    const out: number[] = [];
    if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
      let x = v;
      while (x >= 0x80) {
        out.push((x & 0x7f) | 0x80);
        x = Math.floor(x / 128);
      }
      out.push(x);
    } else {
      let x = BigInt.asUintN(64, BigInt(v));
      while (x >= 0x80n) {
        out.push(Number(x & 0x7fn) | 0x80);
        x >>= 7n;
      }
      out.push(Number(x));
    }
    this.push(Uint8Array.from(out));
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
    this.push(value);
    return this;
  }

  /** A sub-message; written when present (undefined = absent). */
  message(field: number, value: Uint8Array | undefined): this {
    if (value === undefined) return this;
    return this.bytesAlways(field, value);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
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
