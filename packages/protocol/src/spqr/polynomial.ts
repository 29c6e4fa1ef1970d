/**
 * SPQR's systematic Reed–Solomon erasure code over GF(2^16).
 *
 * A message of even length is read as big-endian u16 values v_k; value k
 * belongs to polynomial k mod 16 at x = k div 16. Chunk i (32 bytes) is the
 * 16 polynomials evaluated at x = i, each as BE16. Chunks 0..n-1 are
 * therefore the message itself; later chunks are parity. Any n distinct
 * chunk indices reconstruct the message.
 *
 * The encoder and decoder states are kept in the shape SPQR stores them
 * (PolynomialEncoder / PolynomialDecoder in the PqRatchetState record):
 * - encoder `pts[p]`: concatenated BE16 values of polynomial p, until the
 *   first parity chunk is asked for; then `polys[p]`: BE16 coefficients,
 *   lowest power first.
 * - decoder `pts[p]`: (BE16 x ‖ BE16 y) points ordered by x, no duplicate x.
 * Operations return new states and never modify their inputs.
 */
import { gf16Div, gf16Log, gf16Mul, gf16MulByLog } from './gf16.ts';

export const CHUNK_SIZE = 32;
export const NUM_POLYS = 16;

export interface Chunk {
  index: number; // u16
  data: Uint8Array; // 32 bytes
}

export interface PolyEncoderState {
  idx: number; // u32
  pts: Uint8Array[];
  polys: Uint8Array[];
}

export interface PolyDecoderState {
  ptsNeeded: number;
  polys: number;
  pts: Uint8Array[];
  isComplete: boolean;
}

function readBE16(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) out.push((b[i]! << 8) | b[i + 1]!);
  return out;
}

function writeBE16(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    out[2 * i] = values[i]! >> 8;
    out[2 * i + 1] = values[i]! & 0xff;
  }
  return out;
}

/**
 * Coefficients (lowest power first) of the interpolant through (xs[i], ys[i])
 * (distinct xs), in O(n²): with M(x) = ∏ (x − x_j), basis i is
 * M(x) / (x − x_i) (synthetic division) scaled by y_i / M_i(x_i).
 * Subtraction is XOR in GF(2^16).
 */
export function lagrangeInterpolate(xs: readonly number[], ys: readonly number[]): number[] {
  const n = xs.length;
  const out = new Array<number>(n).fill(0);
  if (n === 0) return out;
  if (n <= MAX_CACHED_BASIS && xs.every((x, i) => x === i)) return interpolateConsecutive(ys, out);
  return interpolateGeneral(xs, ys, out);
}

function interpolateGeneral(xs: readonly number[], ys: readonly number[], out: number[]): number[] {
  const n = xs.length;
  // master[k]: coefficient of x^k of M, degree n.
  const master = new Uint16Array(n + 1);
  master[0] = 1;
  for (let j = 0; j < n; j++) {
    const xj = xs[j]!;
    for (let k = j + 1; k >= 1; k--) master[k] = master[k - 1]! ^ gf16Mul(master[k]!, xj);
    master[0] = gf16Mul(master[0]!, xj);
  }
  const q = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const xi = xs[i]!;
    // q = M / (x - xi): q[n-1] = m[n]; q[k-1] = m[k] + xi·q[k].
    q[n - 1] = master[n]!;
    for (let k = n - 1; k >= 1; k--) q[k - 1] = master[k]! ^ gf16Mul(xi, q[k]!);
    // denominator: q(xi) = ∏_{j≠i} (xi − xj)
    let denom = 0;
    for (let k = n - 1; k >= 0; k--) denom = gf16Mul(denom, xi) ^ q[k]!;
    const scale = gf16Div(ys[i]!, denom);
    if (scale === 0) continue;
    for (let k = 0; k < n; k++) out[k]! ^= gf16Mul(q[k]!, scale);
  }
  return out;
}

/**
 * The encoder always interpolates through x = 0..n-1 (the message's own
 * chunks), so its Lagrange basis depends on n alone: basis i, scaled by
 * 1 / ∏_{j≠i}(i − j), is computed once per n and kept as logarithms
 * (−1 for a zero coefficient). Interpolating is then n² table lookups.
 * n is a message's values per polynomial: 3, 5, 30 and 36 for SPQR's
 * header, ct2, ct1 and ek, so the cache stays tiny.
 */
const MAX_CACHED_BASIS = 64;
const scaledBasisLogs = new Map<number, Int32Array>();

function scaledBasisLog(n: number): Int32Array {
  let logs = scaledBasisLogs.get(n);
  if (logs === undefined) {
    logs = new Int32Array(n * n);
    const xs = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const unit = new Array<number>(n).fill(0);
      unit[i] = 1;
      const basis = interpolateGeneral(xs, unit, new Array<number>(n).fill(0));
      for (let k = 0; k < n; k++) logs[i * n + k] = basis[k] === 0 ? -1 : gf16Log(basis[k]!);
    }
    scaledBasisLogs.set(n, logs);
  }
  return logs;
}

function interpolateConsecutive(ys: readonly number[], out: number[]): number[] {
  const n = ys.length;
  const logs = scaledBasisLog(n);
  for (let i = 0; i < n; i++) {
    const y = ys[i]!;
    if (y === 0) continue;
    for (let k = 0; k < n; k++) {
      const l = logs[i * n + k]!;
      if (l >= 0) out[k]! ^= gf16MulByLog(y, l);
    }
  }
  return out;
}

/** Evaluates a polynomial (lowest power first) at x. */
export function evaluatePoly(coefficients: readonly number[], x: number): number {
  let acc = 0;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = gf16Mul(acc, x) ^ coefficients[k]!;
  return acc;
}

/** Evaluates a polynomial stored as BE16 coefficients (lowest power first) at x, reading the bytes in place. */
function evaluateBE16(coefficients: Uint8Array, x: number): number {
  let acc = 0;
  for (let k = coefficients.length - 2; k >= 0; k -= 2) acc = gf16Mul(acc, x) ^ ((coefficients[k]! << 8) | coefficients[k + 1]!);
  return acc;
}

export class PolynomialError extends RangeError {}

/** A fresh encoder for `msg` (even length, at most 2^16·16 bytes). */
export function newEncoder(msg: Uint8Array): PolyEncoderState {
  if (msg.length % 2 !== 0) throw new PolynomialError('message length must be even');
  if (msg.length > (1 << 16) * NUM_POLYS) throw new PolynomialError('message too long');
  const values: number[][] = Array.from({ length: NUM_POLYS }, () => []);
  for (let k = 0; k < msg.length / 2; k++) values[k % NUM_POLYS]!.push((msg[2 * k]! << 8) | msg[2 * k + 1]!);
  return { idx: 0, pts: values.map(writeBE16), polys: [] };
}

/** Chunk `index` of the encoder's message; may switch the state to polynomial form. */
export function encoderChunkAt(state: PolyEncoderState, index: number): { state: PolyEncoderState; chunk: Chunk } {
  let polys = state.polys;
  let pts = state.pts;
  const idx16 = index & 0xffff;
  const data = new Uint8Array(CHUNK_SIZE);
  let direct = pts.length === NUM_POLYS;
  if (direct && pts.some((v) => 2 * idx16 >= v.length)) {
    polys = pts.map((v) => {
      const values = readBE16(v);
      return writeBE16(lagrangeInterpolate(values.map((_, x) => x), values));
    });
    pts = [];
    direct = false;
  }
  for (let p = 0; p < NUM_POLYS; p++) {
    if (direct) {
      // Points form: the value is the message's own BE16 at position idx16.
      const v = pts[p]!;
      data[2 * p] = v[2 * idx16]!;
      data[2 * p + 1] = v[2 * idx16 + 1]!;
    } else {
      const y = evaluateBE16(polys[p]!, idx16);
      data[2 * p] = y >> 8;
      data[2 * p + 1] = y & 0xff;
    }
  }
  return { state: { idx: state.idx, pts, polys }, chunk: { index: idx16, data } };
}

/** The next chunk in order (index 0, 1, 2, …, wrapping at 2^16). */
export function encoderNextChunk(state: PolyEncoderState): { state: PolyEncoderState; chunk: Chunk } {
  const r = encoderChunkAt(state, state.idx & 0xffff);
  return { state: { idx: (state.idx + 1) >>> 0, pts: r.state.pts, polys: r.state.polys }, chunk: r.chunk };
}

/** A decoder waiting for a message of `lenBytes` bytes. */
export function newDecoder(lenBytes: number): PolyDecoderState {
  if (lenBytes % 2 !== 0) throw new PolynomialError('message length must be even');
  return {
    ptsNeeded: lenBytes / 2,
    polys: NUM_POLYS,
    pts: Array.from({ length: NUM_POLYS }, () => new Uint8Array(0)),
    isComplete: false,
  };
}

function neededPoints(ptsNeeded: number, poly: number): number {
  return Math.floor(ptsNeeded / NUM_POLYS) + (poly < ptsNeeded % NUM_POLYS ? 1 : 0);
}

interface Pt {
  x: number;
  y: number;
}

function readPoints(b: Uint8Array): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i + 3 < b.length; i += 4) out.push({ x: (b[i]! << 8) | b[i + 1]!, y: (b[i + 2]! << 8) | b[i + 3]! });
  return out;
}

const EMPTY = new Uint8Array(0);
const pointX = (b: Uint8Array, i: number): number => (b[4 * i]! << 8) | b[4 * i + 1]!;

/**
 * Adds a chunk's 16 points (a point whose x is already held replaces it).
 * The new state's 16 point lists are views into one fresh buffer (one
 * allocation per chunk rather than sixteen; this runs on most received
 * messages).
 */
export function decoderAddChunk(state: PolyDecoderState, chunk: Chunk): PolyDecoderState {
  const x = chunk.index & 0xffff;
  const polys = Math.max(NUM_POLYS, state.pts.length);
  // Per polynomial: where the point goes (-1: list unchanged) and whether it replaces one.
  const at = new Int32Array(polys).fill(-1);
  const replaces = new Uint8Array(polys);
  let total = 0;
  for (let p = 0; p < polys; p++) {
    const held = state.pts[p] ?? EMPTY;
    const count = held.length >> 2; // whole (x ‖ y) points, in x order
    if (p < NUM_POLYS) {
      const needed = neededPoints(state.ptsNeeded, p);
      if (x < needed || count < needed) {
        let i = 0;
        while (i < count && pointX(held, i) < x) i++;
        at[p] = i;
        replaces[p] = i < count && pointX(held, i) === x ? 1 : 0;
        total += 4 * (count + 1 - replaces[p]!);
        continue;
      }
    }
    if (p < state.pts.length) total += held.length;
  }
  const buf = new Uint8Array(total);
  const pts = new Array<Uint8Array>(state.pts.length > NUM_POLYS ? state.pts.length : NUM_POLYS);
  let o = 0;
  for (let p = 0; p < polys; p++) {
    const held = state.pts[p] ?? EMPTY;
    const i = at[p]!;
    if (i < 0) {
      if (p >= state.pts.length) pts[p] = EMPTY; // a list the state lacked (never in a decoded state) stays empty
      else {
        buf.set(held, o);
        pts[p] = buf.subarray(o, o + held.length);
        o += held.length;
      }
      continue;
    }
    const count = held.length >> 2;
    const start = o;
    buf.set(held.subarray(0, 4 * i), o);
    o += 4 * i;
    buf[o] = x >> 8;
    buf[o + 1] = x & 0xff;
    buf[o + 2] = chunk.data[2 * p]!;
    buf[o + 3] = chunk.data[2 * p + 1]!;
    o += 4;
    const rest = held.subarray(4 * (i + replaces[p]!), 4 * count);
    buf.set(rest, o);
    o += rest.length;
    pts[p] = buf.subarray(start, o);
  }
  return { ...state, pts };
}

/** The decoded message once every polynomial has enough points, else null. */
export function decoderMessage(state: PolyDecoderState): Uint8Array | null {
  if (state.isComplete || state.pts.length !== NUM_POLYS) return null;
  // Counted from the byte lengths first: most chunks leave the message incomplete.
  for (let p = 0; p < NUM_POLYS; p++) if (state.pts[p]!.length >> 2 < neededPoints(state.ptsNeeded, p)) return null;
  const held = state.pts.map(readPoints);
  const polys = new Array<number[] | undefined>(NUM_POLYS);
  const values = new Array<number>(state.ptsNeeded);
  for (let k = 0; k < state.ptsNeeded; k++) {
    const p = k % NUM_POLYS;
    const x = Math.floor(k / NUM_POLYS);
    const direct = held[p]!.find((q) => q.x === x);
    if (direct !== undefined) {
      values[k] = direct.y;
      continue;
    }
    if (polys[p] === undefined) {
      const use = held[p]!.slice(0, neededPoints(state.ptsNeeded, p));
      polys[p] = lagrangeInterpolate(
        use.map((q) => q.x),
        use.map((q) => q.y),
      );
    }
    values[k] = evaluatePoly(polys[p]!, x);
  }
  return writeBE16(values);
}
