import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { constantTimeEqual, fromHex, randomBytes } from '../../src/primitives/index.ts';

describe('randomBytes', () => {
  it('returns the requested number of fresh bytes', () => {
    expect(randomBytes(0)).toHaveLength(0);
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(a).toHaveLength(32);
    expect(a).not.toEqual(b);
  });

  it('rejects negative or fractional lengths', () => {
    expect(() => randomBytes(-1)).toThrow(InvalidArgumentError);
    expect(() => randomBytes(2.5)).toThrow(/non-negative integer/);
  });
});

describe('constantTimeEqual', () => {
  it('compares contents, and arrays of different length are unequal', () => {
    expect(constantTimeEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(constantTimeEqual(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(constantTimeEqual(fromHex('0102'), fromHex('010200'))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it('works on subarray views (offsets inside a larger buffer)', () => {
    const big = fromHex('aa0102bb0102');
    expect(constantTimeEqual(big.subarray(1, 3), big.subarray(4, 6))).toBe(true);
  });

  it('rejects non-byte inputs', () => {
    expect(() => constantTimeEqual('a' as unknown as Uint8Array, new Uint8Array(1))).toThrow(InvalidArgumentError);
  });
});
