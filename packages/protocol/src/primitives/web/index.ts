/**
 * The `web` primitives backend: @noble/hashes (SHA-2, HMAC, HKDF),
 * @noble/ciphers (AES CBC/CTR/GCM), @noble/curves (X25519) and WebCrypto's
 * getRandomValues. No Buffer, no node:* — it runs wherever ES2022 and
 * `globalThis.crypto.getRandomValues` exist. Selected by the `sealpost-web`,
 * `browser` and `default` conditions of `#primitives-backend`
 * (packages/protocol/package.json). See ../backend.ts for the contract.
 *
 * It keeps no caches (noble works on raw bytes) and has no Ed25519 fast
 * path: XEdDSA verification runs the shared exact check.
 */
import { cbc, ctr, gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { sha3_256 as nobleSha3_256, sha3_512 as nobleSha3_512, shake128 as nobleShake128, shake256 as nobleShake256 } from '@noble/hashes/sha3.js';
import type { PrimitivesBackend } from '../backend.ts';
import { gcmShortNonceDecrypt, gcmShortNonceEncrypt } from './aes-gcm-short-nonce.ts';
import { randomBytes } from './random.ts';

/** @noble/ciphers' gcm requires nonces of at least 8 bytes; shorter ones go through aes-gcm-short-nonce.ts. */
const NOBLE_MIN_GCM_NONCE = 8;
/** What @noble/curves throws for a low-order X25519 public key (or an all-zero result). */
const NOBLE_LOW_ORDER_MESSAGE = 'invalid private or public key received';

type NobleHash = typeof nobleSha256 | typeof nobleSha512 | typeof nobleSha3_256 | typeof nobleSha3_512;

function digest(hash: NobleHash, parts: readonly Uint8Array[]): Uint8Array {
  const h = hash.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

type NobleXof = typeof nobleShake128;

function xof(shake: NobleXof, dkLen: number, parts: readonly Uint8Array[]): Uint8Array {
  const h = shake.create({ dkLen });
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * The result as an array that owns exactly its bytes. noble returns some
 * results (CBC decrypt without its padding) as a view on a larger buffer;
 * those are copied, and the larger buffer wiped.
 */
function owned(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes;
  const copy = bytes.slice();
  new Uint8Array(bytes.buffer).fill(0);
  return copy;
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

export const backend: PrimitivesBackend = {
  name: 'web',
  randomBytes,
  sha256: (parts) => digest(nobleSha256, parts),
  sha512: (parts) => digest(nobleSha512, parts),
  sha3_256: (parts) => digest(nobleSha3_256, parts),
  sha3_512: (parts) => digest(nobleSha3_512, parts),
  shake128: (outputLength, parts) => xof(nobleShake128, outputLength, parts),
  shake256: (outputLength, parts) => xof(nobleShake256, outputLength, parts),
  hmacSha256(key, parts) {
    const mac = hmac.create(nobleSha256, key);
    for (const p of parts) mac.update(p);
    return mac.digest();
  },
  // noble's extract treats an empty salt as the HMAC key "", which HMAC pads
  // to the same block as HashLen zero bytes: RFC 5869's default.
  hkdfSha256: (ikm, salt, info, length) => hkdf(nobleSha256, ikm, salt, info, length),
  aes256CbcEncrypt: (key, iv, plaintext) => owned(cbc(key, iv).encrypt(plaintext)),
  aes256CbcDecrypt(key, iv, ciphertext) {
    try {
      return owned(cbc(key, iv).decrypt(ciphertext));
    } catch {
      // Lengths were checked by the caller: the only failure left is the padding.
      return undefined;
    }
  },
  aes256Ctr: (key, iv, data) => owned(ctr(key, iv).encrypt(data)),
  aes256GcmEncrypt(key, nonce, plaintext, aad) {
    if (nonce.length < NOBLE_MIN_GCM_NONCE) return gcmShortNonceEncrypt(key, nonce, plaintext, aad);
    return owned(gcm(key, nonce, aad).encrypt(plaintext));
  },
  aes256GcmDecrypt(key, nonce, ciphertextAndTag, aad) {
    if (nonce.length < NOBLE_MIN_GCM_NONCE) return gcmShortNonceDecrypt(key, nonce, ciphertextAndTag, aad);
    try {
      return owned(gcm(key, nonce, aad).decrypt(ciphertextAndTag));
    } catch {
      return undefined;
    }
  },
  x25519PublicKey: (privateKey) => x25519.getPublicKey(privateKey),
  x25519Agree(privateKey, publicKey) {
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(privateKey, publicKey);
    } catch (e) {
      // noble refuses low-order points (RFC 7748 §6.1), as OpenSSL does; any other failure is not one.
      if (e instanceof Error && e.message === NOBLE_LOW_ORDER_MESSAGE) return undefined;
      throw e;
    }
    return isAllZero(shared) ? undefined : shared;
  },
  clearCaches() {},
  cacheSizes: () => ({}),
};
