/**
 * Curve25519 keys in libsignal's serialized form, written once for the
 * whole project (sessions, sealed sender, fingerprints, the services).
 *
 * Public keys travel as `0x05 || u` (33 bytes, the "DJB" key type); private
 * keys are the 32-byte clamped scalar. Every public key in our records and
 * messages is kept in the serialized (prefixed) form, because that is what
 * libsignal signs, MACs and compares. Sealed sender v2 and the fingerprint
 * API also take the bare 32-byte `u`; `rawCurvePublicKey` accepts both.
 */
import { InvalidKeyError } from '../errors.ts';
import {
  checkBytes,
  concatBytes,
  constantTimeEqual,
  isTorsionFreeMontgomeryU,
  randomBytes,
  x25519Agree,
  x25519GenerateKeyPair,
} from '../primitives/index.ts';

/** libsignal's key-type byte for Curve25519 ("DJB") public keys. */
export const CURVE_KEY_TYPE = 0x05;
/** Length of a serialized Curve25519 public key (type byte + 32). */
export const CURVE_PUBLIC_KEY_LENGTH = 33;

/** A Curve25519 key pair: 33-byte serialized public key, 32-byte private key. */
export interface CurveKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/**
 * A key pair as sealed sender takes it: 32-byte private key and a public key
 * in either form (raw 32 bytes or serialized 33). Every CurveKeyPair and
 * X25519KeyPair is one.
 */
export interface SealedKeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** True for a serialized Curve25519 public key: exactly 33 bytes, the first 0x05. */
export function isSerializedCurvePublicKey(key: Uint8Array): boolean {
  return key.length === CURVE_PUBLIC_KEY_LENGTH && key[0] === CURVE_KEY_TYPE;
}

/**
 * The raw 32-byte `u` of a public key given raw (32 bytes) or serialized
 * (33, 0x05-prefixed); InvalidKeyError otherwise. Returns a view, not a copy.
 */
export function rawCurvePublicKey(name: string, key: Uint8Array): Uint8Array {
  checkBytes(name, key);
  if (key.length === 32) return key;
  if (isSerializedCurvePublicKey(key)) return key.subarray(1);
  throw new InvalidKeyError(`${name} must be 32 raw bytes or 33 bytes starting with 0x05, got ${key.length} bytes`);
}

/** Constant-time comparison of two public keys, each raw or serialized. */
export function sameCurvePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(rawCurvePublicKey('key', a), rawCurvePublicKey('key', b));
}

/**
 * Generates a key pair; `random32` (explicit randomness for vectors) is
 * clamped into the private key.
 */
export function generateCurveKeyPair(random32: Uint8Array = randomBytes(32)): CurveKeyPair {
  return curveKeyPairFromPrivate(random32);
}

/** Rebuilds a key pair from a private key (clamped first, as libsignal does). */
export function curveKeyPairFromPrivate(privateKey: Uint8Array): CurveKeyPair {
  // x25519GenerateKeyPair clamps, as libsignal does when it generates and loads keys.
  const pair = x25519GenerateKeyPair(checkBytes('Curve25519 private key', privateKey, 32));
  return { privateKey: pair.privateKey, publicKey: serializeCurvePublicKey(pair.publicKey) };
}

/** `0x05 || u` from a raw 32-byte Montgomery u-coordinate. */
export function serializeCurvePublicKey(raw32: Uint8Array): Uint8Array {
  checkBytes('Curve25519 public key', raw32, 32);
  return concatBytes(Uint8Array.of(CURVE_KEY_TYPE), raw32);
}

/**
 * Checks a serialized public key (exactly 33 bytes, type 0x05) and returns
 * a view of its raw 32 bytes. libsignal tolerates trailing bytes; we do not,
 * since libsignal itself never produces them.
 */
export function curvePublicKeyBytes(serialized: Uint8Array, what = 'public key'): Uint8Array {
  if (!(serialized instanceof Uint8Array)) throw new InvalidKeyError(`${what} must be a Uint8Array`);
  if (serialized.length === 0) throw new InvalidKeyError(`${what} is empty (no key type byte)`);
  if (serialized[0] !== CURVE_KEY_TYPE) {
    throw new InvalidKeyError(`${what} has key type 0x${serialized[0]!.toString(16)}, expected 0x05`);
  }
  if (serialized.length !== CURVE_PUBLIC_KEY_LENGTH) {
    throw new InvalidKeyError(`${what} must be 33 bytes, got ${serialized.length}`);
  }
  return serialized.subarray(1);
}

/** Checks a serialized public key and returns it unchanged (boundary check). */
export function checkCurvePublicKey(serialized: Uint8Array, what = 'public key'): Uint8Array {
  curvePublicKeyBytes(serialized, what);
  return serialized;
}

/**
 * X25519 agreement with a serialized (0x05-prefixed) peer key. The
 * primitive refuses the all-zero result (low-order keys), as libsignal does.
 */
export function curveAgree(ourPrivateKey: Uint8Array, theirPublicKey: Uint8Array): Uint8Array {
  return x25519Agree(ourPrivateKey, curvePublicKeyBytes(theirPublicKey));
}

/**
 * libsignal's `PublicKey::is_canonical`: the u-coordinate is reduced
 * (< 2^255 - 19, top bit clear) and maps to a torsion-free point of the
 * prime-order subgroup. A PQXDH responder refuses base keys that are not.
 * The subgroup test is the primitives' (curve25519-subgroup.ts: one X25519
 * ladder by 5L − 1 on node, the Edwards multiplication by L elsewhere; the
 * same answer for every u, proved there and tested against each other).
 */
export function isCanonicalCurvePublicKey(serialized: Uint8Array): boolean {
  const u = curvePublicKeyBytes(serialized);
  if ((u[31]! & 0x80) !== 0) return false;
  let allFF = true;
  for (let i = 1; i < 31; i++) if (u[i] !== 0xff) allFF = false;
  if (allFF && u[31] === 0x7f && u[0]! >= 256 - 19) return false;
  // (The Edwards reference uses sign bit 0: torsion-freeness does not depend on the sign of x.)
  return isTorsionFreeMontgomeryU(u);
}
