/**
 * The strict byte codec every binary structure of the package uses
 * (TLS presentation language style: big-endian integers, length-prefixed
 * vectors). The reader throws MALFORMED on a short buffer, a vector longer
 * than its bound, or bytes left over; nothing it returns aliases its input.
 */
import { fromBase64, utf8Decode } from '@sealpost/protocol/primitives';
import { KeyTransparencyError, ensure } from './errors.ts';

/** Accumulates an encoding. */
export class ByteWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  bytes(data: Uint8Array): this {
    this.parts.push(data.slice());
    this.length += data.length;
    return this;
  }
  uint8(n: number): this {
    checkUint(n, 0xff);
    return this.bytes(Uint8Array.of(n));
  }
  uint16(n: number): this {
    checkUint(n, 0xffff);
    return this.bytes(Uint8Array.of(n >>> 8, n & 0xff));
  }
  uint32(n: number): this {
    checkUint(n, 0xffff_ffff);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return this.bytes(b);
  }
  /** A non-negative safe integer as 8 big-endian bytes. */
  uint64(n: number): this {
    checkUint(n, Number.MAX_SAFE_INTEGER);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    return this.bytes(b);
  }
  /** `opaque data<0..2^8-1>` */
  vector8(data: Uint8Array): this {
    checkUint(data.length, 0xff);
    return this.uint8(data.length).bytes(data);
  }
  /** `opaque data<0..2^16-1>` */
  vector16(data: Uint8Array): this {
    checkUint(data.length, 0xffff);
    return this.uint16(data.length).bytes(data);
  }
  /** `opaque data<0..2^32-1>` */
  vector32(data: Uint8Array): this {
    return this.uint32(data.length).bytes(data);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

function checkUint(n: number, max: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new KeyTransparencyError('INVALID_ARGUMENT', `integer ${n} is outside 0..${max}`);
  }
}

/** Reads an encoding front to back; `end()` insists every byte was consumed. */
export class ByteReader {
  private offset = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly what: string,
  ) {}

  bytes(n: number): Uint8Array {
    ensure(this.offset + n <= this.data.length, 'MALFORMED', `${this.what}: truncated`);
    // Uint8Array's slice even on a Node Buffer (whose own slice is a view into a shared pool): a copy with its own buffer.
    const out = Uint8Array.prototype.slice.call(this.data, this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  uint8(): number {
    return this.bytes(1)[0]!;
  }
  uint16(): number {
    const b = this.bytes(2);
    return (b[0]! << 8) | b[1]!;
  }
  uint32(): number {
    return new DataView(this.bytes(4).buffer).getUint32(0);
  }
  /** 8 big-endian bytes; values above 2^53 - 1 are refused (MALFORMED). */
  uint64(): number {
    const v = new DataView(this.bytes(8).buffer).getBigUint64(0);
    ensure(v <= BigInt(Number.MAX_SAFE_INTEGER), 'MALFORMED', `${this.what}: 64-bit integer out of range`);
    return Number(v);
  }
  vector8(): Uint8Array {
    return this.bytes(this.uint8());
  }
  vector16(): Uint8Array {
    return this.bytes(this.uint16());
  }
  /** `opaque data<0..2^32-1>`, refused (MALFORMED) above `max` bytes. */
  vector32(max: number): Uint8Array {
    const n = this.uint32();
    ensure(n <= max, 'MALFORMED', `${this.what}: vector of ${n} bytes exceeds ${max}`);
    return this.bytes(n);
  }
  /** Whether every byte was consumed. */
  get done(): boolean {
    return this.offset === this.data.length;
  }
  end(): void {
    ensure(this.offset === this.data.length, 'MALFORMED', `${this.what}: ${this.data.length - this.offset} trailing bytes`);
  }
}

/** Strict standard base64 (padding required, canonical) → MALFORMED on anything else. */
export function decodeBase64(text: string, what: string): Uint8Array {
  try {
    return fromBase64(text, what);
  } catch {
    throw new KeyTransparencyError('MALFORMED', `${what} is not strict base64`);
  }
}

/** Strict UTF-8 → MALFORMED on invalid sequences. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decode(bytes, what);
  } catch {
    throw new KeyTransparencyError('MALFORMED', `${what} is not valid UTF-8`);
  }
}
