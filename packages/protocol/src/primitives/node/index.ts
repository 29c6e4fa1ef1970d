/**
 * The `node` primitives backend: node:crypto (OpenSSL) for SHA-2, HMAC,
 * HKDF, AES CBC/CTR/GCM, X25519, Ed25519 signing and the Ed25519 fast verify path.
 * Selected by the `node` condition of `#primitives-backend`
 * (packages/protocol/package.json). See ../backend.ts for the contract.
 */
import type { PrimitivesBackend } from '../backend.ts';
import { base64DecodeCanonical, base64Encode } from './base64.ts';
import { aes256CbcDecrypt, aes256CbcEncrypt, aes256Ctr, aes256GcmDecrypt, aes256GcmEncrypt } from './aes.ts';
import { clearEd25519KeyCaches, ed25519KeyCacheSizes, ed25519SignFast, ed25519VerifyFast } from './ed25519.ts';
import { hkdfSha256, hmacSha256, sha256, sha3_256, sha3_512, sha512, shake128, shake256 } from './hashes.ts';
import { randomBytes } from './random.ts';
import { clearX25519KeyCaches, x25519Agree, x25519KeyCacheSizes, x25519PublicKey } from './x25519.ts';

export const backend: PrimitivesBackend = {
  name: 'node',
  randomBytes,
  sha256,
  sha512,
  sha3_256,
  sha3_512,
  shake128,
  shake256,
  hmacSha256,
  hkdfSha256,
  aes256CbcEncrypt,
  aes256CbcDecrypt,
  aes256Ctr,
  aes256GcmEncrypt,
  aes256GcmDecrypt,
  x25519PublicKey,
  x25519Agree,
  ed25519SignFast,
  base64Encode,
  base64DecodeCanonical,
  ed25519VerifyFast,
  clearCaches: () => {
    clearX25519KeyCaches();
    clearEd25519KeyCaches();
  },
  cacheSizes: () => ({ ...x25519KeyCacheSizes(), ...ed25519KeyCacheSizes() }),
};
