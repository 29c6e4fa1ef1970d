/**
 * X25519 (RFC 7748) over raw 32-byte keys, computed by the active backend
 * (node: OpenSSL through KeyObjects, memoized in bounded caches — see
 * node/x25519.ts; web: @noble/curves).
 *
 * Low-order points: both backends refuse an agreement whose result is the
 * all-zero value (RFC 7748 §6.1's check). libsignal 0.90 does the same at
 * its API: rust/core/src/curve/curve25519.rs `calculate_agreement` would
 * return 32 zero bytes, but rust/core/src/curve.rs
 * `PrivateKey::calculate_agreement` compares the result with zero in
 * constant time and fails with `InvalidKeyAgreement`. We throw
 * InvalidKeyError. Other unusual public keys (non-canonical u >= p, top bit
 * set, points on the twist) are accepted as RFC 7748 prescribes, as libsignal
 * does. See test-vectors/README.md.
 */
import { backend } from '#primitives-backend';
import { InvalidKeyError } from '../errors.ts';
import { checkBytes } from './bytes.ts';
import { checkKeyBytes } from './key-bytes.ts';
import { randomBytes } from './random.ts';

const KEY_LENGTH = 32;

/** An X25519 key pair as raw bytes: private scalar bytes and public u-coordinate. */
export interface X25519KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * The public key (u-coordinate of k·9) for a 32-byte private key. The
 * private key is clamped as RFC 7748 §5 prescribes, so any 32 bytes work.
 */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  checkKeyBytes('X25519 private key', privateKey, KEY_LENGTH);
  return backend.x25519PublicKey(privateKey);
}

/**
 * A new key pair. `random32`, when given, is used as the private key (so
 * tests and vectors can drive key generation); otherwise 32 fresh random bytes.
 * The private key is returned clamped, matching libsignal's
 * `PrivateKey::new`, so its serialized form equals libsignal's.
 */
// Not generateKeyPairSync (on node): in Node 20.20, exporting (e.g. as JWK)
// a key that generateKeyPairSync made can deadlock the process — the export
// holds the key's mutex and allocates, a GC then runs the finished
// KeyGenJob's destructor, which takes the same mutex (seen in the benchmark:
// main thread parked in ~KeyGenJob under ExportJWKEdKey). Importing random
// bytes is within a few µs of it and never involves a KeyGenJob.
export function x25519GenerateKeyPair(random32?: Uint8Array): X25519KeyPair {
  const seed = random32 === undefined ? randomBytes(KEY_LENGTH) : checkKeyBytes('X25519 random seed', random32, KEY_LENGTH);
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
  checkKeyBytes('X25519 private key', privateKey, KEY_LENGTH);
  checkKeyBytes('X25519 public key', publicKey, KEY_LENGTH);
  const shared = backend.x25519Agree(privateKey, publicKey);
  if (shared === undefined) throw new InvalidKeyError('X25519 public key is a low-order point (all-zero shared secret)');
  return shared;
}
