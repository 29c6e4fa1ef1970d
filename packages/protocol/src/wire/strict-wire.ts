/**
 * The strict protobuf pre-check run before every decode of untrusted bytes.
 *
 * It accepts exactly the encodings libsignal's decoder (prost) accepts for
 * the given schema, and returns a canonical private copy for the lenient
 * decoder behind it (@bufbuild/protobuf, or a hand-written reader):
 *
 * - tags: a varint ≤ 10 bytes whose value fits 32 bits, field number ≥ 1,
 *   wire type 0..5; an end-group tag outside a group is refused;
 * - a known field must carry its schema's wire type (prost: "invalid wire
 *   type"); unknown fields are skipped (groups included, nesting ≤ 100) and
 *   left out of the copy, as prost drops them;
 * - varints: at most 10 bytes, the 10th ≤ 0x01; non-minimal encodings are
 *   accepted (prost accepts them) and re-encoded minimally in the copy;
 * - lengths: read as full 64-bit values (never truncated to 32 bits) and
 *   checked against the enclosing message, nested messages included, which
 *   must end exactly where their length says;
 * - `string` fields must be valid UTF-8.
 *
 * The copy is always a fresh buffer, so nothing a decoder keeps aliases the
 * caller's bytes.
 */

/** How a field is encoded on the wire. */
export type WireKind = 'varint' | 'fixed32' | 'fixed64' | 'bytes' | 'string';

/** A message's known fields: number -> scalar kind or nested message schema. */
export interface WireSchema {
  readonly name: string;
  readonly fields: ReadonlyMap<number, WireField>;
}

/** One known field; `packed`: a repeated numeric field, accepted packed or unpacked. */
export type WireField =
  | { readonly kind: WireKind; readonly packed?: boolean | undefined }
  | { readonly kind: 'message'; readonly schema: () => WireSchema };

/** Thrown by `canonicalWire`; callers turn it into their typed error. */
export class WireFormatError extends Error {}

const MAX_RECURSION = 100;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Set by the checking pass when the input needs rewriting (a non-minimal
 * varint, an unknown field, a packed run); synchronous code, so one flag.
 */
let canonicalSoFar = true;

function expectedWireType(field: WireField): number {
  switch (field.kind) {
    case 'varint':
      return WIRE_VARINT;
    case 'fixed64':
      return WIRE_FIXED64;
    case 'fixed32':
      return WIRE_FIXED32;
    default:
      return WIRE_LEN;
  }
}

/** A growable output buffer. */
class Out {
  buf = new Uint8Array(64);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  varint(lo: number, hi: number): void {
    this.room(10);
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.len++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.len++] = lo;
  }
  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** A bounded reader over [pos, end) of a buffer (prost's rules; also used by the cheap state peek). */
export class WireReader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  /** prost `decode_varint`: ≤ 10 bytes, the 10th at most 0x01. Returns [lo, hi] 32-bit halves. */
  varint(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint');
      const b = this.buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (i === 9 && b > 0x01) throw new WireFormatError('varint overflows 64 bits');
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) canonicalSoFar = false;
        return [lo >>> 0, hi >>> 0];
      }
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }

  /** A length prefix, checked against what is left of the enclosing message. */
  length(): number {
    const [lo, hi] = this.varint();
    const length = hi * 2 ** 32 + lo;
    if (length > this.end - this.pos) throw new WireFormatError('length runs past the enclosing message');
    return length;
  }

  take(n: number): Uint8Array {
    if (n > this.end - this.pos) throw new WireFormatError('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** prost `decode_key`: [field number, wire type]. */
  tag(): [number, number] {
    const [lo, hi] = this.varint();
    if (hi !== 0) throw new WireFormatError('tag does not fit 32 bits');
    const wireType = lo & 7;
    const field = lo >>> 3;
    if (wireType > 5) throw new WireFormatError(`invalid wire type ${wireType}`);
    if (field === 0) throw new WireFormatError('field number 0');
    return [field, wireType];
  }
}

/** prost `skip_field` for an unknown field (groups nest, within the recursion limit). */
function skipField(r: WireReader, field: number, wireType: number, depth: number): void {
  if (depth > MAX_RECURSION) throw new WireFormatError('recursion limit reached');
  switch (wireType) {
    case WIRE_VARINT:
      r.varint();
      return;
    case WIRE_FIXED64:
      r.take(8);
      return;
    case WIRE_FIXED32:
      r.take(4);
      return;
    case WIRE_LEN:
      r.take(r.length());
      return;
    case WIRE_START_GROUP:
      for (;;) {
        const [inner, innerType] = r.tag();
        if (innerType === WIRE_END_GROUP) {
          if (inner !== field) throw new WireFormatError('unexpected end group tag');
          return;
        }
        skipField(r, inner, innerType, depth + 1);
      }
    default:
      throw new WireFormatError('unexpected end group tag');
  }
}

function copyScalar(r: WireReader, out: Out | null, kind: WireKind): void {
  switch (kind) {
    case 'varint': {
      const [lo, hi] = r.varint();
      out?.varint(lo, hi);
      return;
    }
    case 'fixed64':
    case 'fixed32': {
      const value = r.take(kind === 'fixed64' ? 8 : 4);
      out?.raw(value);
      return;
    }
    case 'string':
    case 'bytes': {
      const value = r.take(r.length());
      if (kind === 'string') {
        try {
          STRICT_UTF8.decode(value);
        } catch {
          throw new WireFormatError('string field is not valid UTF-8');
        }
      }
      out?.varint(value.length, 0);
      out?.raw(value);
      return;
    }
  }
}

/** Checks (and with `out`, writes the canonical form of) one message; `out` null: the checking pass. */
function copyMessage(r: WireReader, schema: WireSchema, out: Out | null, depth: number): void {
  if (depth > MAX_RECURSION) throw new WireFormatError('recursion limit reached');
  while (r.pos < r.end) {
    const [number, wireType] = r.tag();
    const field = schema.fields.get(number);
    if (field === undefined) {
      canonicalSoFar = false;
      skipField(r, number, wireType, depth + 1);
      continue;
    }
    if (field.kind !== 'message' && field.packed === true && wireType === WIRE_LEN && field.kind !== 'bytes' && field.kind !== 'string') {
      // A packed run of numeric values: each element must parse; written back unpacked.
      canonicalSoFar = false;
      const end = r.pos + r.length();
      const packed = new WireReader(r.buf, r.pos, end);
      while (packed.pos < packed.end) {
        out?.varint(((number << 3) | expectedWireType(field)) >>> 0, 0);
        copyScalar(packed, out, field.kind);
      }
      r.pos = end;
      continue;
    }
    if (wireType !== expectedWireType(field)) {
      throw new WireFormatError(`${schema.name} field ${number} has wire type ${wireType}, expected ${expectedWireType(field)}`);
    }
    out?.varint(((number << 3) | wireType) >>> 0, 0);
    if (field.kind === 'message') {
      const length = r.length();
      const nested = out === null ? null : new Out();
      const inner = new WireReader(r.buf, r.pos, r.pos + length);
      copyMessage(inner, field.schema(), nested, depth + 1);
      r.pos = inner.end;
      if (out !== null && nested !== null) {
        out.varint(nested.len, 0);
        out.raw(nested.buf.subarray(0, nested.len));
      }
    } else {
      copyScalar(r, out, field.kind);
    }
  }
  if (r.pos !== r.end) throw new WireFormatError(`${schema.name} does not end where its length says`);
}

/**
 * Checks `bytes` as an encoding of `schema` the way libsignal's decoder
 * does, and returns a canonical fresh copy (minimal varints, unknown fields
 * dropped). Throws WireFormatError saying what is wrong.
 */
export function canonicalWire(bytes: Uint8Array, schema: WireSchema): Uint8Array {
  // Checking pass first: almost every input is canonical already, and then a plain copy is it.
  canonicalSoFar = true;
  copyMessage(new WireReader(bytes, 0, bytes.length), schema, null, 0);
  if (canonicalSoFar) return bytes.slice();
  const out = new Out();
  copyMessage(new WireReader(bytes, 0, bytes.length), schema, out, 0);
  return out.finish();
}

/** Builds a schema from a field list (for the hand-written readers). */
export function wireSchema(name: string, fields: Record<number, WireField>): WireSchema {
  return { name, fields: new Map(Object.entries(fields).map(([k, v]) => [Number(k), v])) };
}

/** `canonicalWire` for a hand-written reader: a refused encoding throws `fail(reason)`. */
export function strictWire(bytes: Uint8Array, schema: WireSchema, fail: (reason: string) => Error): Uint8Array {
  try {
    return canonicalWire(bytes, schema);
  } catch (e) {
    if (e instanceof WireFormatError) throw fail(e.message);
    throw e;
  }
}
