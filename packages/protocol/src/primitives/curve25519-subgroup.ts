/**
 * Is a Curve25519 Montgomery u-coordinate that of a point in the
 * prime-order subgroup? The question libsignal's `PublicKey::is_canonical`
 * asks of a PQXDH base key (keys/curve-key.ts), answered with one X25519
 * ladder instead of an Edwards multiplication by the group order.
 *
 * The reference answer (kept, and used by the web backend) maps u to the
 * Edwards point with sign 0 (undefined for u = −1 and for u on the twist)
 * and asks @noble/curves whether [L]P = O: ~1.1 ms of BigInt arithmetic
 * per session setup on node.
 *
 * The fast answer (node backend): X25519(k, u) = u([k]P) (RFC 7748; the
 * twist's point when u is on the twist; all zero for P = O) with
 * k = 5L − 1. That k is ≡ 0 mod 8, has bit 254 set and is < 2^255, so RFC
 * 7748's clamping leaves it as it is; and k ≡ −1 mod L. Accept iff the
 * result is not all zero and equals u. For u < p (the caller checks):
 *
 * - P on the curve, torsion-free (P ≠ O): [k]P = −P, whose u is u; u ≠ 0
 *   (u = 0 is the point of order 2). Accepted, as by the reference.
 * - P on the curve, P = P_L + T with T ≠ O of order dividing 8 (E(F_p) ≅
 *   Z/8 × Z/L): 8 | k kills T, so [k]P = −P_L. Its u equals u(P) only if
 *   −P_L = ±P, i.e. 2P_L = −T (impossible unless P_L = T = O) or T = O;
 *   and P_L = O gives the all-zero result. Rejected, as by the reference.
 * - u on the twist (order 4·L', L' prime): [k]P' = ±P' needs the order of
 *   P' ≠ O to divide k + 1 = 5L or k − 1 = 5L − 2, and gcd(4L', 5L) =
 *   gcd(4L', 5L − 2) = 1 (checked in test/primitives/curve25519-subgroup.test.ts).
 *   Rejected; the reference has no Edwards point for it. u = −1 is on the
 *   twist (A − 2 is not a square), so it is rejected too, as there.
 *
 * The ladder also imports u as an X25519 public key, which the node backend
 * keeps in its small KeyObject cache, so the three agreements a responder
 * then makes with the same base key do not import it again.
 */
import { backend } from '#primitives-backend';
import { montgomeryToEdwardsPoint, numberToBytesLE32 } from './curve25519-edwards.ts';

/** The order of the prime-order subgroup of Curve25519. */
export const CURVE25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;
/** 5L − 1 as an X25519 scalar; unchanged by clamping. */
export const TORSION_CHECK_SCALAR: Uint8Array = numberToBytesLE32(5n * CURVE25519_L - 1n);

/** The reference check: the sign-0 Edwards point of u exists and [L]P = O (@noble/curves). */
export function isTorsionFreeUReference(u32: Uint8Array): boolean {
  return montgomeryToEdwardsPoint(u32, 0)?.isTorsionFree() ?? false;
}

/** The X25519 check described above; `u32` must be < p with the top bit clear. */
export function isTorsionFreeULadder(u32: Uint8Array): boolean {
  const r = backend.x25519Agree(TORSION_CHECK_SCALAR, u32);
  if (r === undefined) return false;
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= r[i]! ^ u32[i]!;
  return diff === 0;
}

/**
 * Whether the u-coordinate (32 bytes, < p, top bit clear: the caller checks)
 * is that of a point of the prime-order subgroup; both ways give the same
 * answer for every such u. The ladder is used where X25519 is native.
 */
export function isTorsionFreeMontgomeryU(u32: Uint8Array): boolean {
  return backend.name === 'node' ? isTorsionFreeULadder(u32) : isTorsionFreeUReference(u32);
}
