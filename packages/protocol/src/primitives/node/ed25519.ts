/**
 * RFC 8032 Ed25519 by OpenSSL (node:crypto): signing, and verification used
 * as XEdDSA's and ed25519Verify's fast accept path (../xeddsa.ts,
 * ../ed25519.ts). OpenSSL is strict (canonical encodings, s < L,
 * cofactorless). Measured on this 2-core VM: noble signs in ~1.5 ms under
 * load, OpenSSL with a cached KeyObject in ~50 µs; importing the public key
 * from JWK on every verify cost ~440 µs, so imported keys are memoized.
 *
 * Caches (bounded LRU, cleared by clearPrimitiveCaches()): public keys by
 * their base64url text; private keys by array identity, each entry holding
 * a copy of the 32 secret bytes that is zeroed on eviction, and used only
 * while the array still holds those bytes.
 */
import { createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { asBuffer, asUint8Array } from './buffers.ts';
import { LruCache } from './lru-cache.ts';

export const ED25519_KEY_CACHE_LIMITS = { privateKeys: 16, publicKeys: 64 } as const;

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** DER prefix of an SPKI Ed25519 public key; the 32-byte key follows. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

interface PrivateEntry {
  readonly bytes: Buffer;
  readonly key: KeyObject;
}

const privateKeyObjects = new LruCache<Uint8Array, PrivateEntry>(ED25519_KEY_CACHE_LIMITS.privateKeys, (e) => e.bytes.fill(0));
const publicKeyObjects = new LruCache<string, KeyObject | null>(ED25519_KEY_CACHE_LIMITS.publicKeys);

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  const cached = privateKeyObjects.get(secretKey);
  if (cached !== undefined && timingSafeEqual(cached.bytes, secretKey)) return cached.key;
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, secretKey]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  privateKeyObjects.set(secretKey, { bytes: Buffer.from(secretKey), key });
  return key;
}

/** The imported key, or null when OpenSSL cannot decode it (remembered too: public keys are not secret). */
function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const id = asBuffer(publicKey).toString('base64url');
  const cached = publicKeyObjects.get(id);
  if (cached !== undefined) return cached;
  let key: KeyObject | null;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch {
    key = null;
  }
  publicKeyObjects.set(id, key);
  return key;
}

/** Deterministic RFC 8032 signature; byte-identical to noble's (both follow RFC 8032 exactly). */
export function ed25519SignFast(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return asUint8Array(sign(null, message, privateKeyObject(secretKey)));
}

export function ed25519VerifyFast(edwardsPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyObject(edwardsPublicKey);
  if (key === null) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

export function clearEd25519KeyCaches(): void {
  privateKeyObjects.clear();
  publicKeyObjects.clear();
}

export function ed25519KeyCacheSizes(): { ed25519PrivateKeys: number; ed25519PublicKeys: number } {
  return { ed25519PrivateKeys: privateKeyObjects.size, ed25519PublicKeys: publicKeyObjects.size };
}
