/**
 * Little-endian integers and the Montgomery -> Edwards map of Curve25519,
 * written once for XEdDSA (xeddsa.ts) and libsignal's canonical-key check
 * (keys/curve-key.ts). Field arithmetic is @noble/curves'; only the
 * birational map y = (u - 1) / (u + 1) is ours.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

const Point = ed25519.Point;
/** A point of edwards25519 as @noble/curves represents it. */
export type EdwardsPoint = InstanceType<typeof Point>;
const Fp = Point.Fp;
const P = Fp.ORDER;
const LOW_255_BITS = (1n << 255n) - 1n;

/** Bytes as an unsigned little-endian integer (any length). */
export function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/** The low 256 bits of a non-negative integer as 32 little-endian bytes. */
export function numberToBytesLE32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** Montgomery u as dalek reads 32 bytes: top bit ignored, reduced mod p. */
export function montgomeryU(u32: Uint8Array): bigint {
  return Fp.create(bytesToNumberLE(u32) & LOW_255_BITS);
}

/**
 * The Edwards y-coordinate, as 32 little-endian bytes with the sign bit
 * clear, of the Montgomery u-coordinate `u32` the way curve25519-dalek's
 * `MontgomeryPoint::to_edwards` reads it: the top bit of u is ignored, u is
 * reduced mod p, and y = (u - 1) / (u + 1). Returns undefined for u = -1
 * (no image). Whether y is on the curve is for the caller's decoding to say.
 */
export function montgomeryToEdwardsY(u32: Uint8Array): Uint8Array | undefined {
  const u = montgomeryU(u32);
  if (u === P - 1n) return undefined;
  return numberToBytesLE32(Fp.mul(Fp.sub(u, 1n), Fp.inv(Fp.add(u, 1n))));
}

/**
 * The Edwards point of Montgomery u with the given sign bit (0 or 1), as
 * dalek's `to_edwards` + decompression: decoding accepts x = 0 with either
 * sign. Returns undefined when no point exists (u = -1, or u on the twist).
 */
export function montgomeryToEdwardsPoint(u32: Uint8Array, signBit: number): EdwardsPoint | undefined {
  const yBytes = montgomeryToEdwardsY(u32);
  if (yBytes === undefined) return undefined;
  yBytes[31]! |= signBit << 7;
  try {
    // zip215=true only relaxes the (here impossible) y >= p check and lets
    // x = 0 carry sign bit 1, which dalek also accepts.
    return Point.fromBytes(yBytes, true);
  } catch {
    return undefined;
  }
}
