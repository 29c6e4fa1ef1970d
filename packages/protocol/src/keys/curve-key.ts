/**
 * Curve25519 keys in libsignal's serialized form.
 *
 * Public keys travel as `0x05 || u` (33 bytes, the "DJB" key type); private
 * keys are the 32-byte clamped scalar. Every public key in our records and
 * messages is kept in the serialized (prefixed) form, because that is what
 * libsignal signs, MACs and compares.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { InvalidKeyError } from '../errors.ts';
import { checkBytes, concatBytes, randomBytes, x25519Agree, x25519GenerateKeyPair } from '../primitives/index.ts';

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
 * The curve arithmetic is noble-curves'; only the Montgomery-to-Edwards map
 * y = (u - 1) / (u + 1) is written here.
 */
export function isCanonicalCurvePublicKey(serialized: Uint8Array): boolean {
  const u = curvePublicKeyBytes(serialized);
  if ((u[31]! & 0x80) !== 0) return false;
  let allFF = true;
  for (let i = 1; i < 31; i++) if (u[i] !== 0xff) allFF = false;
  if (allFF && u[31] === 0x7f && u[0]! >= 256 - 19) return false;
  const Fp = ed25519.Point.Fp;
  let uInt = 0n;
  for (let i = 31; i >= 0; i--) uInt = (uInt << 8n) | BigInt(u[i]!);
  uInt = Fp.create(uInt);
  const denominator = Fp.add(uInt, Fp.ONE);
  if (Fp.is0(denominator)) return false;
  const y = Fp.mul(Fp.sub(uInt, Fp.ONE), Fp.inv(denominator));
  const yBytes = new Uint8Array(32);
  let t = y;
  for (let i = 0; i < 32; i++) {
    yBytes[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  try {
    return ed25519.Point.fromBytes(yBytes).isTorsionFree();
  } catch {
    return false;
  }
}
