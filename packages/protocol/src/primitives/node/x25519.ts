/**
 * X25519 (RFC 7748) via node:crypto, over raw 32-byte keys that arrive
 * validated from ../x25519.ts.
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
 * Imported KeyObjects are kept in two bounded LRU caches (see
 * X25519_KEY_CACHE_LIMITS); clearX25519KeyCaches() empties both (the facade's
 * clearPrimitiveCaches()).
 *
 * Low-order points: OpenSSL refuses any agreement whose result is the
 * all-zero value (RFC 7748 §6.1's check), with ERR_OSSL_FAILED_DURING_DERIVATION;
 * only that error is reported as `undefined` (any other failure is rethrown,
 * so it never surfaces as "low-order point").
 */
import { createPrivateKey, createPublicKey, diffieHellman, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { InvalidKeyError } from '../../errors.ts';
import { asBuffer, asUint8Array } from './buffers.ts';
import { LruCache } from './lru-cache.ts';

const KEY_LENGTH = 32;
/** Placeholder `x` for private-key JWK import (required by Node, not used). */
const UNUSED_JWK_X = Buffer.alloc(KEY_LENGTH).toString('base64url');

/**
 * Capacities of the KeyObject caches. Private keys: a ratchet key pair is
 * used for its public key and two agreements, an identity or signed prekey
 * for every session set up, so recently used keys are what matter; 64
 * covers the keys of many concurrent sessions. Public keys: a DH ratchet
 * step agrees twice with the peer's new ratchet key, PQXDH uses the peer's
 * signed prekey twice; 16 recent ones suffice.
 */
export const X25519_KEY_CACHE_LIMITS = { privateKeys: 64, publicKeys: 16 } as const;

interface PrivateEntry {
  /** A copy of the key bytes the KeyObject was made from; wiped on eviction. */
  readonly bytes: Buffer;
  readonly key: KeyObject;
}

/**
 * Imported private KeyObjects, per key array (identity, not contents: no
 * secret is ever turned into a lookup string). Each JWK import costs a scalar
 * multiplication (Node derives the public key), so a key array is imported
 * once. An entry is used only while the array still holds the bytes it was
 * made from, so a caller that rewrites an array in place gets a fresh import.
 * At most X25519_KEY_CACHE_LIMITS.privateKeys arrays are held; an evicted
 * entry's copy of the bytes is zeroed.
 */
const privateKeyObjects = new LruCache<Uint8Array, PrivateEntry>(X25519_KEY_CACHE_LIMITS.privateKeys, (e) => e.bytes.fill(0));

/** Imported public KeyObjects, by the key's base64url text (public keys are not secret). */
const publicKeyObjects = new LruCache<string, KeyObject>(X25519_KEY_CACHE_LIMITS.publicKeys);

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  const cached = privateKeyObjects.get(privateKey);
  if (cached !== undefined && timingSafeEqual(cached.bytes, privateKey)) return cached.key;
  const d = asBuffer(privateKey).toString('base64url');
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: UNUSED_JWK_X }, format: 'jwk' });
  privateKeyObjects.set(privateKey, { bytes: Buffer.from(privateKey), key });
  return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const x = asBuffer(publicKey).toString('base64url');
  const cached = publicKeyObjects.get(x);
  if (cached !== undefined) return cached;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
  publicKeyObjects.set(x, key);
  return key;
}

export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  const { x } = privateKeyObject(privateKey).export({ format: 'jwk' });
  if (typeof x !== 'string') throw new InvalidKeyError('X25519 public key derivation failed');
  // A copy: Buffer.from(string) may return a slice of Buffer's shared pool.
  return new Uint8Array(Buffer.from(x, 'base64url'));
}

/** OpenSSL's error for an all-zero X25519 result (the only failure that means "low-order point"). */
const LOW_ORDER_ERROR_CODE = 'ERR_OSSL_FAILED_DURING_DERIVATION';

export function x25519Agree(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  // Key imports stay outside the try: their failures are not low-order points.
  const keys = { privateKey: privateKeyObject(privateKey), publicKey: publicKeyObject(publicKey) };
  try {
    return asUint8Array(diffieHellman(keys));
  } catch (e) {
    if ((e as { code?: unknown }).code === LOW_ORDER_ERROR_CODE) return undefined;
    throw e;
  }
}

/** Empties both KeyObject caches (private-key copies are zeroed). */
export function clearX25519KeyCaches(): void {
  privateKeyObjects.clear();
  publicKeyObjects.clear();
}

export function x25519KeyCacheSizes(): { x25519PrivateKeys: number; x25519PublicKeys: number } {
  return { x25519PrivateKeys: privateKeyObjects.size, x25519PublicKeys: publicKeyObjects.size };
}
