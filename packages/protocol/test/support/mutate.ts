/**
 * Seeded structural mutations of valid encodings, for the differential
 * decoder tests against libsignal-client: bit flips, byte changes,
 * truncations, insertions and deletions anywhere, and — at the positions a
 * protobuf walk finds — wire-type changes, non-minimal varint re-encodings,
 * length changes (including ≥ 2^32), duplicated, dropped and unknown fields.
 */
import { SeededRandom } from '@sealpost/devkit/prng';

/** A varint (tag, length or value) found by the walk. */
interface VarintAt {
  readonly pos: number;
  readonly len: number;
  readonly value: number;
  readonly role: 'tag' | 'length' | 'value';
}

/** One field found by the walk: [start, end) of its whole encoding. */
interface FieldAt {
  readonly start: number;
  readonly end: number;
}

interface Walk {
  varints: VarintAt[];
  fields: FieldAt[];
  /** Offsets where a field may start (field boundaries). */
  boundaries: number[];
}

function readVarint(b: Uint8Array, pos: number, end: number): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 10 && pos + i < end; i++) {
    value += (b[pos + i]! & 0x7f) * 2 ** (7 * i);
    if ((b[pos + i]! & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}

/** Walks [start, end) as a protobuf; nested length-delimited fields that parse are walked too. */
function walk(b: Uint8Array, start: number, end: number, out: Walk, depth: number): boolean {
  const found: Walk = { varints: [], fields: [], boundaries: [] };
  let pos = start;
  while (pos < end) {
    found.boundaries.push(pos);
    const fieldStart = pos;
    const tag = readVarint(b, pos, end);
    if (tag === undefined || tag[0] < 8) return false;
    found.varints.push({ pos, len: tag[1], value: tag[0], role: 'tag' });
    pos += tag[1];
    const wireType = tag[0] % 8;
    if (wireType === 0) {
      const v = readVarint(b, pos, end);
      if (v === undefined) return false;
      found.varints.push({ pos, len: v[1], value: v[0], role: 'value' });
      pos += v[1];
    } else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const l = readVarint(b, pos, end);
      if (l === undefined || pos + l[1] + l[0] > end) return false;
      found.varints.push({ pos, len: l[1], value: l[0], role: 'length' });
      pos += l[1];
      if (depth < 4 && l[0] > 0) walk(b, pos, pos + l[0], found, depth + 1);
      pos += l[0];
    } else return false;
    if (pos > end) return false;
    found.fields.push({ start: fieldStart, end: pos });
  }
  found.boundaries.push(end);
  out.varints.push(...found.varints);
  out.fields.push(...found.fields);
  out.boundaries.push(...found.boundaries);
  return true;
}

function encodeVarint(value: number, padTo = 0): number[] {
  const out: number[] = [];
  let v = value;
  do {
    out.push(v % 128);
    v = Math.floor(v / 128);
  } while (v > 0);
  while (out.length < padTo) out.push(0);
  for (let i = 0; i < out.length - 1; i++) out[i]! |= 0x80;
  return out;
}

function splice(b: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

/** The mutation kinds, each a function of the input, the walk and the PRNG. */
const MUTATORS: ((b: Uint8Array, w: Walk, r: SeededRandom) => Uint8Array)[] = [
  // bit flip
  (b, _w, r) => {
    const out = b.slice();
    if (out.length > 0) out[r.int(out.length)]! ^= 1 << r.int(8);
    return out;
  },
  // random byte
  (b, _w, r) => {
    const out = b.slice();
    if (out.length > 0) out[r.int(out.length)] = r.int(256);
    return out;
  },
  // truncation
  (b, _w, r) => b.slice(0, r.int(b.length + 1)),
  // insertion
  (b, _w, r) => splice(b, r.int(b.length + 1), 0, r.bytes(1 + r.int(4))),
  // deletion
  (b, _w, r) => {
    const at = r.int(b.length + 1);
    return splice(b, at, Math.min(1 + r.int(4), b.length - at), []);
  },
  // wire-type change at a tag
  (b, w, r) => {
    const tags = w.varints.filter((v) => v.role === 'tag');
    if (tags.length === 0) return b;
    const t = tags[r.int(tags.length)]!;
    return splice(b, t.pos, t.len, encodeVarint(Math.floor(t.value / 8) * 8 + r.int(8)));
  },
  // non-minimal re-encoding of a varint (up to 11 bytes: one past the limit)
  (b, w, r) => {
    if (w.varints.length === 0) return b;
    const v = w.varints[r.int(w.varints.length)]!;
    return splice(b, v.pos, v.len, encodeVarint(v.value, v.len + 1 + r.int(11 - v.len)));
  },
  // length change: small delta, or the same length plus 2^32 (a 32-bit truncation probe)
  (b, w, r) => {
    const lengths = w.varints.filter((v) => v.role === 'length');
    if (lengths.length === 0) return b;
    const l = lengths[r.int(lengths.length)]!;
    const next = r.chance(0.3) ? l.value + 2 ** 32 : Math.max(0, l.value + r.int(7) - 3);
    return splice(b, l.pos, l.len, encodeVarint(next));
  },
  // value change: a large or boundary value into a varint field
  (b, w, r) => {
    const values = w.varints.filter((v) => v.role === 'value');
    if (values.length === 0) return b;
    const v = values[r.int(values.length)]!;
    const choices = [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 53];
    return splice(b, v.pos, v.len, encodeVarint(choices[r.int(choices.length)]!));
  },
  // duplicate a field (merge / last-one-wins semantics)
  (b, w, r) => {
    if (w.fields.length === 0) return b;
    const f = w.fields[r.int(w.fields.length)]!;
    const at = r.chance(0.5) ? f.end : w.boundaries[r.int(w.boundaries.length)]!;
    return splice(b, at, 0, b.slice(f.start, f.end));
  },
  // drop a field
  (b, w, r) => {
    if (w.fields.length === 0) return b;
    const f = w.fields[r.int(w.fields.length)]!;
    return splice(b, f.start, f.end - f.start, []);
  },
  // insert an unknown field (any wire type, groups and stray end-groups included)
  (b, w, r) => {
    if (w.boundaries.length === 0) return b;
    const at = w.boundaries[r.int(w.boundaries.length)]!;
    const number = 20 + r.int(100);
    const wireType = r.int(8);
    const payload: number[] = [];
    if (wireType === 0) payload.push(...encodeVarint(r.int(1000)));
    else if (wireType === 1) payload.push(...r.bytes(8));
    else if (wireType === 5) payload.push(...r.bytes(4));
    else if (wireType === 2) payload.push(3, ...r.bytes(3));
    else if (wireType === 3) payload.push(...encodeVarint(number * 8 + (r.chance(0.7) ? 4 : 0)));
    return splice(b, at, 0, [...encodeVarint(number * 8 + wireType), ...payload]);
  },
];

/**
 * `count` mutants of `seed` (deterministic for a given `rngSeed`). The
 * protobuf walk covers [pbStart, seed.length - pbTrailer); one or two
 * mutations are applied to each mutant.
 */
export function mutants(seed: Uint8Array, count: number, rngSeed: number, pbStart = 0, pbTrailer = 0): Uint8Array[] {
  const r = new SeededRandom(rngSeed);
  const w: Walk = { varints: [], fields: [], boundaries: [] };
  walk(seed, pbStart, seed.length - pbTrailer, w, 0);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    let b = seed;
    const rounds = r.chance(0.8) ? 1 : 2;
    for (let k = 0; k < rounds; k++) {
      // Structural mutators use the seed's walk, so they apply to the first round only.
      const m = k === 0 ? MUTATORS[r.int(MUTATORS.length)]! : MUTATORS[r.int(5)]!;
      b = m(b, w, r);
    }
    out.push(b);
  }
  return out;
}
