/**
 * The few primitives SPQR needs, taken from the primitives facade and given
 * the argument order SPQR's formulas use. One place to adjust if the facade
 * changes.
 */
import { constantTimeEqual, hkdfSha256, hmacSha256 } from '../primitives/index.ts';

export const ZERO32: Uint8Array = new Uint8Array(32);

/** HKDF-SHA256(salt, ikm, info) → `length` bytes. */
export function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdfSha256(ikm, salt, info, length);
}

export function hmac(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  return hmacSha256(key, ...data);
}

export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && constantTimeEqual(a, b);
}

const encoder = new TextEncoder();
export function ascii(s: string): Uint8Array {
  return encoder.encode(s);
}

export function u64be(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v));
  return out;
}

export function u32be(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v >>> 0);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A source of randomness: returns `n` fresh bytes. */
export type RandomBytes = (n: number) => Uint8Array;
