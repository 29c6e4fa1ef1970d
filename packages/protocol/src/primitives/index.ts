/**
 * The one module other code imports primitives from
 * (`import { hkdfSha256 } from '../primitives/index.ts'`, or
 * `@sealpost/protocol/primitives` from outside the package). The files
 * beside it check inputs and type errors; the platform work is done by one
 * of two backends behind the `#primitives-backend` subpath import
 * (packages/protocol/package.json `imports`):
 *
 *   condition      backend
 *   sealpost-web   web   (forces it, e.g. to test the web backend under Node)
 *   browser        web
 *   node           node
 *   default        web
 *
 * - node/          node:crypto (OpenSSL): SHA-2, HMAC, HKDF, AES CBC/CTR/GCM,
 *                  X25519 (KeyObjects in bounded LRU caches), Ed25519 fast verify
 * - web/           @noble/hashes, @noble/ciphers, @noble/curves and
 *                  crypto.getRandomValues; no Buffer, no node:*
 * `primitivesBackend` says which one is active.
 *
 * Shared by both (the same code on every platform):
 * - bytes.ts       checkBytes, concatBytes, hex and the other byte helpers
 * - key-bytes.ts   checkKeyBytes (wrong-length keys -> InvalidKeyError)
 * - random.ts      randomBytes (backend CSPRNG), constantTimeEqual
 * - hash.ts        sha256, sha512, sha3_256, sha3_512, shake128, shake256 (backend)
 * - hmac.ts, hkdf.ts  HMAC-SHA256, HKDF-SHA256 (backend)
 * - x25519.ts      X25519 over raw 32-byte keys (backend)
 * - aes.ts         AES-256 CBC/PKCS7, CTR, GCM (backend), GCM-SIV (@noble/ciphers)
 * - xeddsa.ts      libsignal's XEdDSA (@noble/curves Edwards arithmetic; node
 *                  accepts valid signatures through OpenSSL first); the
 *                  XEdDSA spec's variant as xeddsaSignSpec/xeddsaVerifySpec
 * - curve25519-subgroup.ts  prime-order-subgroup test of a Montgomery u
 * - curve25519-edwards.ts  little-endian integers, Montgomery u -> Edwards
 * - ed25519.ts     plain Ed25519 (@noble/curves)
 * - kpke.ts, kem-from-kpke.ts  K-PKE over typed arrays (SHA-3/SHAKE from the
 *                  backend) and the ML-KEM / round-3 Kyber KEMs on it
 * - kem-mlkem1024.ts  ML-KEM-1024 (FIPS 203, on kpke.ts)
 * - kem-kyber1024.ts  Kyber1024 round 3, libsignal key type 0x08
 * - caches.ts      clearPrimitiveCaches, primitiveCacheSizes
 *
 * Every function that needs randomness accepts it as an optional explicit
 * argument; bad input throws the typed errors of ../errors.ts.
 */
export * from './bytes.ts';
export { checkKeyBytes } from './key-bytes.ts';
export type { PrimitivesBackendName } from './backend.ts';
export { clearPrimitiveCaches, primitiveCacheSizes, primitivesBackend } from './caches.ts';
export { constantTimeEqual, randomBytes } from './random.ts';
export { sha256, sha3_256, sha3_512, sha512, shake128, shake256 } from './hash.ts';
export { hmacSha256 } from './hmac.ts';
export { HKDF_SHA256_MAX_LENGTH, hkdfSha256 } from './hkdf.ts';
export type { X25519KeyPair } from './x25519.ts';
export { clampPrivateKey, x25519Agree, x25519GenerateKeyPair, x25519PublicKey } from './x25519.ts';
export {
  aes256CbcDecrypt,
  aes256CbcEncrypt,
  aes256Ctr,
  aes256GcmDecrypt,
  aes256GcmEncrypt,
  aes256GcmSivDecrypt,
  aes256GcmSivEncrypt,
} from './aes.ts';
export { xeddsaSign, xeddsaSignSpec, xeddsaVerify, xeddsaVerifySpec } from './xeddsa.ts';
export type { EdwardsPoint } from './curve25519-edwards.ts';
export { bytesToNumberLE, montgomeryToEdwardsPoint, montgomeryToEdwardsY, montgomeryU, numberToBytesLE32 } from './curve25519-edwards.ts';
export { isTorsionFreeMontgomeryU } from './curve25519-subgroup.ts';
export type { KemEncapsulation, KemKeyPair } from './kem-mlkem1024.ts';
export {
  KEM1024_CIPHERTEXT_LENGTH,
  KEM1024_PUBLIC_KEY_LENGTH,
  KEM1024_SECRET_KEY_LENGTH,
  KEM_SHARED_SECRET_LENGTH,
  mlkem1024Decapsulate,
  mlkem1024Encapsulate,
  mlkem1024KeyGen,
} from './kem-mlkem1024.ts';
export { kyber1024Decapsulate, kyber1024Encapsulate, kyber1024KeyGen } from './kem-kyber1024.ts';
export { ed25519PublicKey, ed25519Sign, ed25519Verify } from './ed25519.ts';
export type { CbcStream, IncrementalHash, IncrementalHmac } from './incremental.ts';
export { aes256CbcDecryptStream, aes256CbcEncryptStream, hmacSha256Incremental, incrementalBackendName, sha256Incremental } from './incremental.ts';
