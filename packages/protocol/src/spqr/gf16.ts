/**
 * GF(2^16) as SPQR's erasure code uses it: reduction polynomial
 * x^16 + x^12 + x^3 + x + 1 (0x1100b). Addition and subtraction are XOR;
 * multiplication uses log/antilog tables over the generator 3 (x + 1),
 * which is primitive for this polynomial (checked when the tables are built).
 */
export const GF16_POLY = 0x1100b;
const ORDER = 0xffff;

/** Carry-less multiply then reduce; the table-free reference. */
export function gf16MulSlow(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 16; i++) if ((b >> i) & 1) r ^= a << i;
  for (let bit = 31; bit >= 16; bit--) if ((r >>> bit) & 1) r ^= GF16_POLY << (bit - 16);
  return r & 0xffff;
}

const EXP = new Uint16Array(2 * ORDER);
const LOG = new Uint16Array(ORDER + 1);
{
  let x = 1;
  for (let i = 0; i < ORDER; i++) {
    EXP[i] = x;
    EXP[i + ORDER] = x;
    if (i > 0 && x === 1) throw new Error('gf16: generator is not primitive');
    LOG[x] = i;
    x = gf16MulSlow(x, 3);
  }
}

export function gf16Add(a: number, b: number): number {
  return a ^ b;
}

export function gf16Mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

/** log_3(b) for non-zero b: with it, a·b is `gf16MulByLog(a, log b)` (one table lookup fewer, for fixed multipliers). */
export function gf16Log(b: number): number {
  if (b === 0) throw new RangeError('gf16: log of zero');
  return LOG[b]!;
}

/** a · 3^logB. */
export function gf16MulByLog(a: number, logB: number): number {
  if (a === 0) return 0;
  return EXP[LOG[a]! + logB]!;
}

/** Division a / b; b must be non-zero. */
export function gf16Div(a: number, b: number): number {
  if (b === 0) throw new RangeError('gf16: division by zero');
  if (a === 0) return 0;
  return EXP[LOG[a]! + ORDER - LOG[b]!]!;
}
