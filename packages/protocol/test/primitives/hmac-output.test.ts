/**
 * hmacSha256 returns a view of node's digest Buffer instead of a copy. The
 * view must own its memory — exactly 32 bytes, not a window on Buffer's
 * shared pool — and results must stay independent of each other.
 */
import { describe, expect, it } from 'vitest';
import { hmacSha256, toHex } from '../../src/primitives/index.ts';

describe('hmacSha256 output', () => {
  it('owns a 32-byte buffer of its own', () => {
    const mac = hmacSha256(new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'));
    // RFC 4231 test case 2.
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(mac.byteOffset).toBe(0);
    expect(mac.buffer.byteLength).toBe(32);
  });

  it('gives independent results: overwriting one leaves another intact', () => {
    const key = new Uint8Array(32).fill(7);
    const first = hmacSha256(key, Uint8Array.of(1));
    const second = hmacSha256(key, Uint8Array.of(1));
    const expected = toHex(second);
    first.fill(0);
    expect(toHex(second)).toBe(expected);
    expect(first.buffer).not.toBe(second.buffer);
  });
});
