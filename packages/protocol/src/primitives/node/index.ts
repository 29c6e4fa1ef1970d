/**
 * The `node` primitives backend: node:crypto (OpenSSL) for SHA-2, HMAC,
 * HKDF, AES CBC/CTR/GCM, X25519 and the Ed25519 fast path of XEdDSA.
 * Selected by the `node` condition of `#primitives-backend`
 * (packages/protocol/package.json). See ../backend.ts for the contract.
 */
import type { PrimitivesBackend } from '../backend.ts';
import { aes256CbcDecrypt, aes256CbcEncrypt, aes256Ctr, aes256GcmDecrypt, aes256GcmEncrypt } from './aes.ts';
import { ed25519VerifyFast } from './ed25519-verify.ts';
import { hkdfSha256, hmacSha256, sha256, sha512 } from './hashes.ts';
import { randomBytes } from './random.ts';
import { clearX25519KeyCaches, x25519Agree, x25519KeyCacheSizes, x25519PublicKey } from './x25519.ts';

export const backend: PrimitivesBackend = {
  name: 'node',
  randomBytes,
  sha256,
  sha512,
  hmacSha256,
  hkdfSha256,
  aes256CbcEncrypt,
  aes256CbcDecrypt,
  aes256Ctr,
  aes256GcmEncrypt,
  aes256GcmDecrypt,
  x25519PublicKey,
  x25519Agree,
  ed25519VerifyFast,
  clearCaches: clearX25519KeyCaches,
  cacheSizes: x25519KeyCacheSizes,
};
