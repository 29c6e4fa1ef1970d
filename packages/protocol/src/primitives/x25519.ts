/**
 * X25519 (RFC 7748) via node:crypto, over raw 32-byte keys.
 *
 * Node only accepts keys as KeyObjects. Raw bytes are imported as JWK
 * ({kty: 'OKP', crv: 'X25519'}), which measured far cheaper than wrapping
 * them in the PKCS#8/SPKI DER prefixes (Node 20.20, per call):
 *   private key import: DER ~900-1170 µs, JWK ~65-100 µs
 *   public key import:  DER ~155-165 µs,  JWK ~20 µs
 *   diffieHellman itself ~65-80 µs
 * so an agreement measured ~0.09 ms instead of ~1.3 ms, public-key
 * derivation ~0.04 ms instead of ~1 ms. Node's JWK import of a
 * private OKP key requires an `x` member but derives the key from `d` alone
 * (a wrong `x` is ignored and the exported `x` is recomputed), so a fixed
 * placeholder is passed; RFC 7748 / libsignal vectors check the result.
 *
 * Low-order points: OpenSSL refuses any agreement whose result is the
 * all-zero value (RFC 7748 §6.1's check). libsignal 0.90 does the same at
 * its API: rust/core/src/curve/curve25519.rs `calculate_agreement` would
 * return 32 zero bytes, but rust/core/src/curve.rs
 * `PrivateKey::calculate_agreement` compares the result with zero in
 * constant time and fails with `InvalidKeyAgreement`. We throw
 * InvalidKeyError. Other unusual public keys (non-canonical u >= p, top bit
 * set, points on the twist) are accepted as RFC 7748 prescribes, as libsignal
 * does. See test-vectors/README.md.
 */
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { InvalidKeyError } from '../errors.ts';
import { asBuffer, checkBytes } from './bytes.ts';

const KEY_LENGTH = 32;
/** Placeholder `x` for private-key JWK import (required by Node, not used). */
const UNUSED_JWK_X = Buffer.alloc(KEY_LENGTH).toString('base64url');

/** An X25519 key pair as raw bytes: private scalar bytes and public u-coordinate. */
export interface X25519KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

function checkKey(name: string, key: unknown): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new InvalidKeyError(
      `${name} must be a ${KEY_LENGTH}-byte Uint8Array, got ${key instanceof Uint8Array ? `${key.length} bytes` : typeof key}`,
    );
  }
  return key;
}

/**
 * Imported private KeyObjects, per key array. Each JWK import costs a scalar
 * multiplication (Node derives the public key), and the same private key is
 * used again and again: a ratchet key pair for its public key and two
 * agreements, an identity or signed prekey for every session set up. So a
 * key array is imported once. The entry keeps a copy of the bytes and is
 * used only while they still match, so a caller that rewrites an array in
 * place gets a fresh import; entries go away with their arrays.
 */
const privateKeyObjects = new WeakMap<Uint8Array, { readonly bytes: Buffer; readonly key: KeyObject }>();

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  const cached = privateKeyObjects.get(privateKey);
  if (cached !== undefined && timingSafeEqual(cached.bytes, privateKey)) return cached.key;
  const d = asBuffer(privateKey).toString('base64url');
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: UNUSED_JWK_X }, format: 'jwk' });
  privateKeyObjects.set(privateKey, { bytes: Buffer.from(privateKey), key });
  return key;
}

/**
 * The last few imported public keys: a DH ratchet step agrees twice with the
 * peer's new ratchet key, and PQXDH uses the peer's signed prekey twice.
 * Public keys are not secret, so a plain byte comparison finds them.
 */
const recentPublicKeys: { readonly bytes: Buffer; readonly key: KeyObject }[] = [];
const RECENT_PUBLIC_KEYS = 4;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  for (const entry of recentPublicKeys) if (entry.bytes.equals(publicKey)) return entry.key;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: asBuffer(publicKey).toString('base64url') }, format: 'jwk' });
  recentPublicKeys.unshift({ bytes: Buffer.from(publicKey), key });
  if (recentPublicKeys.length > RECENT_PUBLIC_KEYS) recentPublicKeys.pop();
  return key;
}

/**
 * The public key (u-coordinate of k·9) for a 32-byte private key. The
 * private key is clamped as RFC 7748 §5 prescribes, so any 32 bytes work.
 */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  checkKey('X25519 private key', privateKey);
  const { x } = privateKeyObject(privateKey).export({ format: 'jwk' });
  if (typeof x !== 'string') throw new InvalidKeyError('X25519 public key derivation failed');
  return new Uint8Array(Buffer.from(x, 'base64url'));
}

/**
 * A new key pair. `random32`, when given, is used as the private key (so
 * tests and vectors can drive key generation); otherwise 32 fresh random bytes.
 * The private key is returned clamped, matching libsignal's
 * `PrivateKey::new`, so its serialized form equals libsignal's.
 */
// Not generateKeyPairSync: in Node 20.20, exporting (e.g. as JWK) a key that
// generateKeyPairSync made can deadlock the process — the export holds the
// key's mutex and allocates, a GC then runs the finished KeyGenJob's
// destructor, which takes the same mutex (seen in the benchmark: main thread
// parked in ~KeyGenJob under ExportJWKEdKey). Importing random bytes is
// within a few µs of it and never involves a KeyGenJob.
export function x25519GenerateKeyPair(random32?: Uint8Array): X25519KeyPair {
  const seed = random32 === undefined ? new Uint8Array(nodeRandomBytes(KEY_LENGTH)) : checkKey('X25519 random seed', random32);
  const privateKey = clampPrivateKey(seed);
  return { privateKey, publicKey: x25519PublicKey(privateKey) };
}

/** RFC 7748 §5 clamping, as a copy: clear bits 0-2 and 255, set bit 254. */
export function clampPrivateKey(privateKey: Uint8Array): Uint8Array {
  const k = Uint8Array.from(checkBytes('X25519 private key', privateKey, KEY_LENGTH));
  k[0]! &= 248;
  k[31]! &= 127;
  k[31]! |= 64;
  return k;
}

/**
 * X25519(privateKey, publicKey) -> 32-byte shared secret. Throws
 * InvalidKeyError for wrong lengths and for public keys that force the
 * all-zero result (low-order points).
 */
export function x25519Agree(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  checkKey('X25519 private key', privateKey);
  checkKey('X25519 public key', publicKey);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(publicKey) });
  } catch {
    // OpenSSL's only failure here is the all-zero output check.
    throw new InvalidKeyError('X25519 public key is a low-order point (all-zero shared secret)');
  }
  return new Uint8Array(shared.buffer, shared.byteOffset, shared.byteLength);
}
