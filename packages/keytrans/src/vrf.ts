/**
 * ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5, suite_string 0x03): the VRF
 * that indexes labels in the prefix tree (KEYTRANS suite 0x0002 and
 * Sealpost's 0xF001 use it with the output truncated to 32 bytes).
 *
 * Point arithmetic, decoding and cofactor handling are @noble/curves'
 * edwards25519; SHA-512 comes from the protocol's primitives facade.
 * Decoding is RFC 8032 §5.1.3 strict (non-canonical encodings fail), as
 * RFC 9381 §5.5 requires; public keys of small order are refused
 * (§5.4.5 validate_key). Known answers: RFC 9381 Appendix B.3
 * (test/vectors/rfc9381-ecvrf.json).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@sealpost/protocol/primitives';
import { KeyTransparencyError, ensure } from './errors.ts';

const Point = ed25519.Point;
type EdPoint = InstanceType<typeof Point>;
/** The prime order q of the edwards25519 base point. */
const Q = Point.Fn.ORDER;
const SUITE = 0x03;
/** Length in bytes of a proof pi = Gamma(32) ‖ c(16) ‖ s(32). */
export const VRF_PROOF_SIZE = 80;
/** Length in bytes of beta (SHA-512). */
export const VRF_HASH_SIZE = 64;
/** Length of the output KEYTRANS uses (beta truncated). */
export const VRF_OUTPUT_SIZE = 32;
const C_LEN = 16;

function le(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function toLe(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** RFC 8032 strict decoding; undefined when the bytes are not a canonical point encoding. */
function decodePoint(bytes: Uint8Array): EdPoint | undefined {
  try {
    return Point.fromBytes(bytes, false);
  } catch {
    return undefined;
  }
}

/** ECVRF_encode_to_curve_try_and_increment (RFC 9381 §5.4.1.1), with the counter that succeeded. */
function encodeToCurve(publicKey: Uint8Array, alpha: Uint8Array): { h: EdPoint; ctr: number } {
  for (let ctr = 0; ctr < 256; ctr++) {
    const hash = sha512(Uint8Array.of(SUITE, 0x01), publicKey, alpha, Uint8Array.of(ctr, 0x00));
    const h = decodePoint(hash.subarray(0, 32));
    if (h !== undefined) return { h: h.clearCofactor(), ctr };
  }
  // Probability about 2^-256: RFC 9381 lets the implementation fail here.
  throw new KeyTransparencyError('VRF_PROOF_INVALID', 'encode_to_curve found no point');
}

/** ECVRF_challenge_generation (RFC 9381 §5.4.3): the first 16 bytes of the hash, as an integer. */
function challenge(points: readonly EdPoint[]): bigint {
  const parts = [Uint8Array.of(SUITE, 0x02), ...points.map((p) => p.toBytes()), Uint8Array.of(0x00)];
  return le(sha512(...parts).subarray(0, C_LEN));
}

function checkSecretKey(secretKey: Uint8Array): void {
  ensure(secretKey instanceof Uint8Array && secretKey.length === 32, 'INVALID_ARGUMENT', 'a VRF secret key is 32 bytes');
}

/** The 32-byte VRF public key of a 32-byte secret key (the RFC 8032 public key). */
export function vrfPublicKey(secretKey: Uint8Array): Uint8Array {
  checkSecretKey(secretKey);
  return ed25519.utils.getExtendedPublicKey(secretKey).pointBytes.slice();
}

/** Every intermediate value of ECVRF_prove, as RFC 9381 Appendix B lists them (for the known-answer tests). */
export interface VrfProveTrace {
  /** The secret scalar x (RFC 8032 clamped, 32 bytes little-endian). */
  x: Uint8Array;
  /** The try-and-increment counter that produced H. */
  ctr: number;
  /** H = encode_to_curve(Y, alpha), encoded. */
  h: Uint8Array;
  /** k_string = SHA-512(SHA-512(SK)[32..64] ‖ h_string) (before reduction mod q). */
  kString: Uint8Array;
  /** U = k·B and V = k·H, encoded. */
  u: Uint8Array;
  v: Uint8Array;
  pi: Uint8Array;
}

/** ECVRF_prove with its intermediate values (RFC 9381 §5.1 steps 1–8). */
export function vrfProveTrace(secretKey: Uint8Array, alpha: Uint8Array): VrfProveTrace {
  checkSecretKey(secretKey);
  ensure(alpha instanceof Uint8Array, 'INVALID_ARGUMENT', 'alpha must be bytes');
  const { head, prefix, scalar: x, point: y, pointBytes } = ed25519.utils.getExtendedPublicKey(secretKey);
  const { h, ctr } = encodeToCurve(pointBytes, alpha);
  const gamma = h.multiply(x);
  // ECVRF_nonce_generation_RFC8032 (§5.4.2.2)
  const hString = h.toBytes();
  const kString = sha512(prefix, hString);
  const k = le(kString) % Q;
  const u = Point.BASE.multiply(k);
  const v = h.multiply(k);
  const c = challenge([y, h, gamma, u, v]);
  const s = (k + c * x) % Q;
  const pi = new Uint8Array(VRF_PROOF_SIZE);
  pi.set(gamma.toBytes(), 0);
  pi.set(toLe(c, C_LEN), 32);
  pi.set(toLe(s, 32), 48);
  return { x: head.slice(), ctr, h: hString, kString, u: u.toBytes(), v: v.toBytes(), pi };
}

/** ECVRF_prove (RFC 9381 §5.1): the 80-byte proof pi for `alpha`. Deterministic. */
export function vrfProve(secretKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  return vrfProveTrace(secretKey, alpha).pi;
}

/** ECVRF_decode_proof (RFC 9381 §5.4.4). */
function decodeProof(pi: Uint8Array): { gamma: EdPoint; c: bigint; s: bigint } {
  ensure(pi instanceof Uint8Array && pi.length === VRF_PROOF_SIZE, 'VRF_PROOF_INVALID', `a VRF proof is ${VRF_PROOF_SIZE} bytes`);
  const gamma = decodePoint(pi.subarray(0, 32));
  ensure(gamma !== undefined, 'VRF_PROOF_INVALID', 'Gamma is not a point');
  const s = le(pi.subarray(48, 80));
  ensure(s < Q, 'VRF_PROOF_INVALID', 's is not reduced');
  return { gamma, c: le(pi.subarray(32, 48)), s };
}

/**
 * ECVRF_proof_to_hash (RFC 9381 §5.2): beta (64 bytes) of a proof, WITHOUT
 * verifying it — use vrfVerify unless the proof was verified already.
 */
export function vrfProofToHash(pi: Uint8Array): Uint8Array {
  const { gamma } = decodeProof(pi);
  return sha512(Uint8Array.of(SUITE, 0x03), gamma.clearCofactor().toBytes(), Uint8Array.of(0x00));
}

/**
 * ECVRF_verify (RFC 9381 §5.3) with validate_key: returns beta (64 bytes)
 * when `pi` is a valid proof for `alpha` under `publicKey`; throws
 * VRF_PROOF_INVALID otherwise (bad key, bad encoding, wrong proof).
 */
export function vrfVerify(publicKey: Uint8Array, alpha: Uint8Array, pi: Uint8Array): Uint8Array {
  ensure(publicKey instanceof Uint8Array && publicKey.length === 32, 'VRF_PROOF_INVALID', 'a VRF public key is 32 bytes');
  ensure(alpha instanceof Uint8Array, 'INVALID_ARGUMENT', 'alpha must be bytes');
  const y = decodePoint(publicKey);
  ensure(y !== undefined, 'VRF_PROOF_INVALID', 'the VRF public key is not a point');
  ensure(!y.isSmallOrder(), 'VRF_PROOF_INVALID', 'the VRF public key has small order');
  const { gamma, c, s } = decodeProof(pi);
  const { h } = encodeToCurve(publicKey, alpha);
  // U = s·B − c·Y, V = s·H − c·Γ (s < q, c < 2^128; multiplyUnsafe also takes 0)
  const u = Point.BASE.multiplyUnsafe(s).subtract(y.multiplyUnsafe(c));
  const v = h.multiplyUnsafe(s).subtract(gamma.multiplyUnsafe(c));
  ensure(challenge([y, h, gamma, u, v]) === c, 'VRF_PROOF_INVALID', 'the VRF proof does not verify');
  return sha512(Uint8Array.of(SUITE, 0x03), gamma.clearCofactor().toBytes(), Uint8Array.of(0x00));
}

/** The 32-byte output KEYTRANS uses: beta truncated (after vrfVerify). */
export function vrfOutput(beta: Uint8Array): Uint8Array {
  ensure(beta instanceof Uint8Array && beta.length === VRF_HASH_SIZE, 'INVALID_ARGUMENT', 'beta is 64 bytes');
  return beta.slice(0, VRF_OUTPUT_SIZE);
}
