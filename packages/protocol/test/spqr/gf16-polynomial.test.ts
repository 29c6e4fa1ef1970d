import { describe, expect, it } from 'vitest';
import { gf16Div, gf16Mul, gf16MulSlow } from '../../src/spqr/gf16.ts';
import {
  decoderAddChunk,
  decoderMessage,
  encoderChunkAt,
  encoderNextChunk,
  evaluatePoly,
  lagrangeInterpolate,
  newDecoder,
  newEncoder,
  type Chunk,
} from '../../src/spqr/polynomial.ts';
import { hex, repoVectors, seededRandom, unhex } from './support.ts';

describe('GF(2^16), reduction polynomial 0x1100b', () => {
  it('matches the published products', () => {
    expect(gf16Mul(4660, 22136)).toBe(25380);
    expect(gf16Mul(43690, 21845)).toBe(21321);
    expect(gf16MulSlow(4660, 22136)).toBe(25380);
    expect(gf16MulSlow(43690, 21845)).toBe(21321);
  });

  it('table multiplication equals shift-and-reduce, division inverts it', () => {
    const rnd = seededRandom(7);
    for (let i = 0; i < 2000; i++) {
      const b = rnd(4);
      const x = (b[0]! << 8) | b[1]!;
      const y = ((b[2]! << 8) | b[3]!) || 1;
      expect(gf16Mul(x, y)).toBe(gf16MulSlow(x, y));
      expect(gf16Div(gf16Mul(x, y), y)).toBe(x);
    }
    expect(gf16Mul(0, 1234)).toBe(0);
    expect(gf16Mul(1, 0xffff)).toBe(0xffff);
    expect(() => gf16Div(1, 0)).toThrow(RangeError);
  });
});

function allChunks(msg: Uint8Array, count: number): Chunk[] {
  let enc = newEncoder(msg);
  const out: Chunk[] = [];
  for (let i = 0; i < count; i++) {
    const n = encoderNextChunk(enc);
    enc = n.state;
    out.push(n.chunk);
  }
  return out;
}

describe('polynomial erasure code', () => {
  it('interpolates through its points', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6];
    const ys = [9, 40000, 3, 65535, 0, 12345, 777];
    const c = lagrangeInterpolate(xs, ys);
    expect(c).toHaveLength(7);
    xs.forEach((x, i) => expect(evaluatePoly(c, x)).toBe(ys[i]));
  });

  it('interpolates through x = 0..n-1 (the cached basis) exactly as through the same points in another order', () => {
    const rnd = seededRandom(7);
    for (const n of [1, 2, 3, 5, 17, 30, 36, 64, 65]) {
      const bytes = rnd(2 * n);
      const ys = Array.from({ length: n }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
      const xs = ys.map((_, i) => i);
      const c = lagrangeInterpolate(xs, ys);
      xs.forEach((x, i) => expect(evaluatePoly(c, x)).toBe(ys[i]));
      // Reversed order takes the general path; the interpolant is unique.
      expect(lagrangeInterpolate(xs.slice().reverse(), ys.slice().reverse())).toEqual(c);
    }
  });

  it('is systematic: chunk i < n is message bytes [32i, 32i+32)', () => {
    const msg = seededRandom(1)(96);
    const chunks = allChunks(msg, 3);
    chunks.forEach((c, i) => {
      expect(c.index).toBe(i);
      expect(hex(c.data)).toBe(hex(msg.subarray(32 * i, 32 * i + 32)));
    });
  });

  it('decodes the 10-byte example from parity chunks 1 and 2', () => {
    const msg = new TextEncoder().encode('abcdefghij');
    let enc = newEncoder(msg);
    const c1 = encoderChunkAt(enc, 1);
    enc = c1.state;
    const c2 = encoderChunkAt(enc, 2);
    let dec = newDecoder(10);
    dec = decoderAddChunk(dec, c1.chunk);
    expect(decoderMessage(dec)).not.toBeNull(); // 5 values: one point per polynomial suffices
    dec = decoderAddChunk(dec, c2.chunk);
    expect(new TextDecoder().decode(decoderMessage(dec)!)).toBe('abcdefghij');
  });

  for (const [name, size] of [
    ['hdr+mac', 96],
    ['ek', 1152],
    ['ct1', 960],
    ['ct2+mac', 160],
  ] as const) {
    it(`reconstructs a ${name} (${size} B, ${size / 32} chunks) from any ${size / 32} distinct chunks`, () => {
      const n = size / 32;
      const msg = seededRandom(size)(size);
      const chunks = allChunks(msg, 3 * n);
      const rnd = seededRandom(size + 1);
      for (let trial = 0; trial < 3; trial++) {
        const order = chunks.map((c, i) => ({ c, k: rnd(2)[0]! * 1000 + i })).sort((a, b) => a.k - b.k);
        let dec = newDecoder(size);
        const pick = order.slice(0, n);
        pick.slice(0, n - 1).forEach(({ c }) => {
          dec = decoderAddChunk(dec, c);
          expect(decoderMessage(dec)).toBeNull();
        });
        dec = decoderAddChunk(dec, pick[n - 1]!.c);
        expect(hex(decoderMessage(dec)!)).toBe(hex(msg));
      }
    });
  }

  it('ignores a duplicate chunk and keeps its inputs unchanged', () => {
    const msg = seededRandom(3)(96);
    const [c0, c1, , c3] = allChunks(msg, 4);
    const d0 = newDecoder(96);
    const d1 = decoderAddChunk(d0, c0!);
    expect(d0.pts.every((p) => p.length === 0)).toBe(true);
    const d2 = decoderAddChunk(decoderAddChunk(d1, c0!), c1!);
    expect(decoderMessage(d2)).toBeNull();
    expect(hex(decoderMessage(decoderAddChunk(d2, c3!))!)).toBe(hex(msg));
  });

  it('switches the encoder to polynomial form at the first parity chunk', () => {
    const msg = seededRandom(4)(96);
    let enc = newEncoder(msg);
    expect(enc.pts).toHaveLength(16);
    expect(enc.pts[0]).toHaveLength(6); // three BE16 values
    for (let i = 0; i < 3; i++) enc = encoderNextChunk(enc).state;
    expect(enc.polys).toHaveLength(0);
    enc = encoderNextChunk(enc).state;
    expect(enc.pts).toHaveLength(0);
    expect(enc.polys).toHaveLength(16);
    expect(enc.polys[0]).toHaveLength(6); // three BE16 coefficients
    expect(enc.idx).toBe(4);
  });

  it('rejects odd lengths', () => {
    expect(() => newEncoder(new Uint8Array(3))).toThrow(RangeError);
    expect(() => newDecoder(3)).toThrow(RangeError);
  });
});

interface ErasureVectors {
  gf16: { a: number; b: number; product: number; quotient: number }[];
  encodings: { name: string; message: string; chunks: { index: number; data: string }[]; encoderPolys: string[] }[];
}

describe('erasure-code known answers (test-vectors/spqr-erasure-code.json)', () => {
  const V = repoVectors<ErasureVectors>('spqr-erasure-code.json');
  it('GF(2^16) products and quotients', () => {
    for (const t of V.gf16) {
      expect(gf16Mul(t.a, t.b)).toBe(t.product);
      expect(gf16Div(t.a, t.b)).toBe(t.quotient);
      expect(gf16MulSlow(t.a, t.b)).toBe(t.product);
    }
    expect(V.gf16.length).toBeGreaterThanOrEqual(8);
  });
  for (const e of V.encodings) {
    it(`chunks and encoder state: ${e.name}`, () => {
      let enc = newEncoder(unhex(e.message));
      for (const c of e.chunks) {
        const n = encoderNextChunk(enc);
        enc = n.state;
        expect(n.chunk.index).toBe(c.index);
        expect(hex(n.chunk.data)).toBe(c.data);
      }
      expect(enc.polys.map(hex)).toEqual(e.encoderPolys);
      // and the last n chunks (mostly parity) reconstruct the message
      const n = unhex(e.message).length / 32;
      let dec = newDecoder(unhex(e.message).length);
      for (const c of e.chunks.slice(-n)) dec = decoderAddChunk(dec, { index: c.index, data: unhex(c.data) });
      expect(hex(decoderMessage(dec)!)).toBe(e.message);
    });
  }
});
