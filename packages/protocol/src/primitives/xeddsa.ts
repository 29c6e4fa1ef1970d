/**
 * XEdDSA over Curve25519, exactly as libsignal 0.90 computes it
 * (rust/core/src/curve/curve25519.rs, `calculate_signature` /
 * `verify_signature`), built on @noble/curves' Edwards arithmetic.
 *
 * libsignal's variant of the XEdDSA spec (signal.org/docs/specifications/xeddsa):
 * - the signer does NOT negate its scalar to force the Edwards sign bit to 0;
 *   it uses a = clamp(k) mod L as is and stores A's sign bit in the top bit of
 *   signature byte 63 (that bit of s is always 0 since s < L < 2^253);
 * - r = SHA-512(0xFE || 0xFF*31 || clamp(k) || M || Z) mod L (the spec's hash_1);
 * - the verifier rebuilds A from the Montgomery u and that sign bit, clears it,
 *   rejects s >= 2^253 (the spec's "s >= 2^|q|" check; like libsignal it does
 *   not require s < L), and checks, cofactorless, that
 *   encode(s·B − h·A) equals R byte for byte (so a non-canonical R never verifies).
 *
 * Cost (Node 20.20, 2-core box): sign ~0.6-0.8 ms; on the node backend,
 * verify ~0.1 ms for a valid signature (one field inversion here, then
 * OpenSSL's Ed25519 verify — see verifiesAsEd25519), ~1.3 ms to reject (the
 * exact check below: two variable-time scalar multiplications and one field
 * inversion). The web backend has no such fast path: every verification is
 * the exact check (see docs/benchmarks.md, "Primitive backends").
 */
import { backend } from '#primitives-backend';
import { ed25519 } from '@noble/curves/ed25519.js';
import { checkBytes } from './bytes.ts';
import { bytesToNumberLE, montgomeryToEdwardsPoint, montgomeryToEdwardsY, montgomeryU, numberToBytesLE32, type EdwardsPoint } from './curve25519-edwards.ts';
import { sha512 } from './hash.ts';
import { checkKeyBytes } from './key-bytes.ts';
import { randomBytes } from './random.ts';
import { clampPrivateKey } from './x25519.ts';

const Point = ed25519.Point;
/** Order of the prime subgroup, L = 2^252 + 27742317777372353535851937790883648493. */
const L = Point.Fn.ORDER;
const P = Point.Fp.ORDER;
const HASH1_PREFIX = Uint8Array.from([0xfe, ...new Array<number>(31).fill(0xff)]);

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

/**
 * XEdDSA signature (64 bytes) of `message` under the X25519 private key,
 * byte-identical to libsignal's `PrivateKey::calculate_signature` for the
 * same 64 random bytes. `random64` defaults to fresh randomness.
 */
export function xeddsaSign(privateKey32: Uint8Array, message: Uint8Array, random64?: Uint8Array): Uint8Array {
  checkKeyBytes('XEdDSA private key', privateKey32, 32);
  checkBytes('XEdDSA message', message);
  const z = random64 === undefined ? randomBytes(64) : checkBytes('XEdDSA random', random64, 64);
  const k = clampPrivateKey(privateKey32);
  const a = mod(bytesToNumberLE(k), L);
  const capA = Point.BASE.multiply(a).toBytes();
  const signBit = capA[31]! & 0x80;
  const r = mod(bytesToNumberLE(sha512(HASH1_PREFIX, k, message, z)), L);
  // r = 0 has probability 2^-252; multiply() rejects it, so fall back to the identity.
  const capR = (r === 0n ? Point.ZERO : Point.BASE.multiply(r)).toBytes();
  const h = mod(bytesToNumberLE(sha512(capR, capA, message)), L);
  const s = mod(h * a + r, L);
  const sig = new Uint8Array(64);
  sig.set(capR, 0);
  sig.set(numberToBytesLE32(s), 32);
  sig[63] = (sig[63]! & 0x7f) | signBit;
  k.fill(0);
  return sig;
}

/**
 * Fast path, when the backend has one (node: OpenSSL's RFC 8032 Ed25519
 * verify, ~10× cheaper than noble's scalar multiplications). OpenSSL is
 * stricter than libsignal in one place — it requires s < L, where libsignal
 * only rejects s >= 2^253 and reduces — so only its "valid" is trusted: it
 * implies libsignal's equation holds (same A bytes, same h, same s). Every
 * "invalid" falls through to the exact libsignal check below, so the set of
 * accepted signatures is unchanged. u = 0 (x = 0, where encoding A with sign
 * bit 1 would hash differently from libsignal's re-encoding) and u = -1 (no
 * Edwards image) skip the fast path.
 */
function verifiesAsEd25519(
  verifyFast: (edwardsPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean,
  publicKey32: Uint8Array,
  message: Uint8Array,
  signature64: Uint8Array,
): boolean {
  if (montgomeryU(publicKey32) === 0n) return false;
  const capA = montgomeryToEdwardsY(publicKey32);
  if (capA === undefined) return false;
  capA[31]! |= signature64[63]! & 0x80;
  const signature = Uint8Array.from(signature64);
  signature[63]! &= 0x7f;
  return verifyFast(capA, message, signature);
}

/**
 * Verifies an XEdDSA signature against a raw 32-byte Montgomery public key,
 * accepting exactly what libsignal's `PrivateKey::verify_signature` accepts.
 * Returns false for any malformed signature; throws InvalidKeyError only for
 * a public key of the wrong length/type.
 */
export function xeddsaVerify(publicKey32: Uint8Array, message: Uint8Array, signature64: Uint8Array): boolean {
  checkKeyBytes('XEdDSA public key (raw Montgomery u)', publicKey32, 32);
  checkBytes('XEdDSA message', message);
  if (!(signature64 instanceof Uint8Array) || signature64.length !== 64) return false;
  const verifyFast = backend.ed25519VerifyFast;
  if (verifyFast !== undefined && verifiesAsEd25519(verifyFast, publicKey32, message, signature64)) return true;
  const capAPoint = montgomeryToEdwardsPoint(publicKey32, (signature64[63]! & 0x80) >> 7);
  if (capAPoint === undefined) return false;
  const capR = signature64.subarray(0, 32);
  const sBytes = signature64.slice(32, 64);
  sBytes[31]! &= 0x7f;
  if ((sBytes[31]! & 0xe0) !== 0) return false;
  const capA = capAPoint.toBytes();
  const h = mod(bytesToNumberLE(sha512(capR, capA, message)), L);
  const s = mod(bytesToNumberLE(sBytes), L);
  // Public inputs only, so the variable-time multiply is fine (and allows 0).
  const check = Point.BASE.multiplyUnsafe(s).subtract(capAPoint.multiplyUnsafe(h)).toBytes();
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= check[i]! ^ capR[i]!;
  return diff === 0;
}

// ---------------------------------------------------------------------------
// The XEdDSA specification's own variant (not used on Signal's wire).
//
// Exact difference from libsignal's variant above (xeddsaSign/xeddsaVerify,
// which is what libsignal 0.90 and every Signal client send and accept):
// - Signer. The spec's calculate_key_pair(k) forces A's Edwards sign bit to 0:
//   if E = kB has sign bit 1 it signs with a = −k mod L (so A = aB = −E has
//   sign bit 0). libsignal keeps a = k and instead stores E's sign bit in the
//   top bit of signature byte 63. So the spec signature always has byte 63's
//   top bit clear; for keys whose E has sign bit 0 both variants give the same
//   bytes for the same random64.
// - Nonce. r = SHA-512(0xFE‖0xFF×31 ‖ a ‖ M ‖ Z) mod L with a encoded as the
//   reference implementation does (libsignal-protocol-c xed25519_sign, by the
//   spec's author): the clamped k itself when no negation happens, the 32-byte
//   −k mod L otherwise. (The spec's pseudocode writes a = k mod L; hashing the
//   reduced k would yield different — equally valid — signatures and would
//   not reproduce the published answers in test-vectors/xeddsa-spec.json.)
// - Verifier. A is always rebuilt with sign bit 0; u must be a canonical
//   encoding (u < p as a 256-bit integer — libsignal masks bit 255 and reduces
//   instead); u = p − 1 maps to y = 0 (the spec's inv(0) = 0) rather than
//   being refused; s must be < 2^253 on the raw 32 bytes, so a libsignal
//   signature carrying sign bit 1 is rejected. R is compared byte for byte, as
//   in libsignal.
// Consequence: every spec signature also verifies under xeddsaVerify (its
// byte 63 says "sign bit 0", which is the spec's A); a libsignal signature
// verifies under xeddsaVerifySpec only when its sign bit is 0.
// ---------------------------------------------------------------------------

/**
 * XEdDSA signature (64 bytes, R ‖ s) of `message` under the X25519 private
 * key, following the XEdDSA specification (signal.org/docs/specifications/xeddsa,
 * rev. 1, 2016) as its reference implementation does: A's sign bit is forced
 * to 0 by negating the scalar, so byte 63's top bit is always 0. Matches
 * libsignal-protocol-c `xed25519_sign` byte for byte for the same 64 random
 * bytes. Not Signal's wire format — use {@link xeddsaSign} for that.
 */
export function xeddsaSignSpec(privateKey32: Uint8Array, message: Uint8Array, random64?: Uint8Array): Uint8Array {
  checkKeyBytes('XEdDSA private key', privateKey32, 32);
  checkBytes('XEdDSA message', message);
  const z = random64 === undefined ? randomBytes(64) : checkBytes('XEdDSA random', random64, 64);
  const k = clampPrivateKey(privateKey32);
  let a = mod(bytesToNumberLE(k), L);
  const capA = Point.BASE.multiply(a).toBytes();
  // calculate_key_pair: E.s = 1 -> a = -k mod L, whose point -E has sign bit 0.
  // (Branching on the sign bit is not constant time; neither is bigint arithmetic.)
  const negate = (capA[31]! & 0x80) !== 0;
  if (negate) a = mod(-a, L);
  capA[31]! &= 0x7f;
  const aEncoded = negate ? numberToBytesLE32(a) : k;
  const r = mod(bytesToNumberLE(sha512(HASH1_PREFIX, aEncoded, message, z)), L);
  const capR = (r === 0n ? Point.ZERO : Point.BASE.multiply(r)).toBytes();
  const h = mod(bytesToNumberLE(sha512(capR, capA, message)), L);
  const sig = new Uint8Array(64);
  sig.set(capR, 0);
  sig.set(numberToBytesLE32(mod(h * a + r, L)), 32);
  k.fill(0);
  aEncoded.fill(0);
  return sig;
}

/**
 * Verifies a signature made by {@link xeddsaSignSpec} (the XEdDSA
 * specification's verify: reject u ≥ p and s ≥ 2^253, A = Edwards point of u
 * with sign bit 0, accept iff encode(s·B − h·A) = R). Returns false for any
 * malformed signature or non-canonical/off-curve u; throws InvalidKeyError
 * only for a public key of the wrong length/type.
 */
export function xeddsaVerifySpec(publicKey32: Uint8Array, message: Uint8Array, signature64: Uint8Array): boolean {
  checkKeyBytes('XEdDSA public key (raw Montgomery u)', publicKey32, 32);
  checkBytes('XEdDSA message', message);
  if (!(signature64 instanceof Uint8Array) || signature64.length !== 64) return false;
  const u = bytesToNumberLE(publicKey32);
  if (u >= P) return false;
  if ((signature64[63]! & 0xe0) !== 0) return false;
  // y = (u - 1) / (u + 1), with the spec's inv(0) = 0 for u = -1. (u < p, so
  // the helper's masking of bit 255 and reduction change nothing.)
  const y = u === P - 1n ? new Uint8Array(32) : montgomeryToEdwardsY(publicKey32)!;
  let capAPoint: EdwardsPoint;
  try {
    capAPoint = Point.fromBytes(y, false);
  } catch {
    return false; // u is on the twist: no curve point has this y.
  }
  const capA = capAPoint.toBytes();
  const capR = signature64.subarray(0, 32);
  const h = mod(bytesToNumberLE(sha512(capR, capA, message)), L);
  const s = mod(bytesToNumberLE(signature64.subarray(32, 64)), L);
  const check = Point.BASE.multiplyUnsafe(s).subtract(capAPoint.multiplyUnsafe(h)).toBytes();
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= check[i]! ^ capR[i]!;
  return diff === 0;
}
