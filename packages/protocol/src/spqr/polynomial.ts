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
import { gf16Div, gf16Mul } from './gf16.ts';

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

/** Coefficients (lowest power first) of the interpolant through (xs[i], ys[i]). */
export function lagrangeInterpolate(xs: readonly number[], ys: readonly number[]): number[] {
  const n = xs.length;
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    // basis_i(x) = prod_{j != i} (x - x_j) / (x_i - x_j)
    let basis = [1];
    let denom = 1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const next = new Array<number>(basis.length + 1).fill(0);
      for (let k = 0; k < basis.length; k++) {
        next[k + 1]! ^= basis[k]!;
        next[k]! ^= gf16Mul(basis[k]!, xs[j]!);
      }
      basis = next;
      denom = gf16Mul(denom, xs[i]! ^ xs[j]!);
    }
    const scale = gf16Div(ys[i]!, denom);
    for (let k = 0; k < n; k++) out[k]! ^= gf16Mul(basis[k]!, scale);
  }
  return out;
}

/** Evaluates a polynomial (lowest power first) at x. */
export function evaluatePoly(coefficients: readonly number[], x: number): number {
  let acc = 0;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = gf16Mul(acc, x) ^ coefficients[k]!;
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
  const out = new Array<number>(NUM_POLYS);
  let pointValues = pts.length === NUM_POLYS ? pts.map(readBE16) : null;
  if (pointValues !== null && pointValues.some((v) => idx16 >= v.length)) {
    polys = pointValues.map((v) => writeBE16(lagrangeInterpolate(v.map((_, x) => x), v)));
    pts = [];
    pointValues = null;
  }
  for (let p = 0; p < NUM_POLYS; p++) {
    if (pointValues !== null) out[p] = pointValues[p]![idx16]!;
    else out[p] = evaluatePoly(readBE16(polys[p]!), idx16);
  }
  return { state: { idx: state.idx, pts, polys }, chunk: { index: idx16, data: writeBE16(out) } };
}

/** The next chunk in order (index 0, 1, 2, …, wrapping at 2^16). */
export function encoderNextChunk(state: PolyEncoderState): { state: PolyEncoderState; chunk: Chunk } {
  const r = encoderChunkAt(state, state.idx & 0xffff);
  return { state: { ...r.state, idx: (state.idx + 1) >>> 0 }, chunk: r.chunk };
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

function writePoints(pts: readonly Pt[]): Uint8Array {
  const out = new Uint8Array(pts.length * 4);
  pts.forEach((p, i) => {
    out.set([p.x >> 8, p.x & 0xff, p.y >> 8, p.y & 0xff], 4 * i);
  });
  return out;
}

/** Adds a chunk's 16 points (a point whose x is already held replaces it). */
export function decoderAddChunk(state: PolyDecoderState, chunk: Chunk): PolyDecoderState {
  const pts = state.pts.slice();
  for (let p = 0; p < NUM_POLYS; p++) {
    const x = chunk.index & 0xffff;
    const y = (chunk.data[2 * p]! << 8) | chunk.data[2 * p + 1]!;
    const needed = neededPoints(state.ptsNeeded, p);
    const held = readPoints(pts[p] ?? new Uint8Array(0));
    if (!(x < needed || held.length < needed)) continue;
    const at = held.findIndex((q) => q.x >= x);
    if (at >= 0 && held[at]!.x === x) held[at] = { x, y };
    else if (at >= 0) held.splice(at, 0, { x, y });
    else held.push({ x, y });
    pts[p] = writePoints(held);
  }
  return { ...state, pts };
}

/** The decoded message once every polynomial has enough points, else null. */
export function decoderMessage(state: PolyDecoderState): Uint8Array | null {
  if (state.isComplete || state.pts.length !== NUM_POLYS) return null;
  const held = state.pts.map(readPoints);
  for (let p = 0; p < NUM_POLYS; p++) if (held[p]!.length < neededPoints(state.ptsNeeded, p)) return null;
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
