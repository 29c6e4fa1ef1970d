/**
 * The one module other code imports primitives from
 * (`import { hkdfSha256 } from '../primitives/index.ts'`). Implementations
 * live in the files beside it; this facade only re-exports them:
 *
 * - bytes.ts       checkBytes, concatBytes, toHex, fromHex, asBuffer
 * - random.ts      randomBytes (CSPRNG), constantTimeEqual
 * - hash.ts        sha256, sha512 (node:crypto), sha3_256, shake256 (@noble/hashes)
 * - hmac.ts, hkdf.ts  HMAC-SHA256, HKDF-SHA256 (node:crypto)
 * - x25519.ts      X25519 over raw 32-byte keys (node:crypto)
 * - aes.ts         AES-256 CBC/PKCS7, CTR, GCM (node:crypto), GCM-SIV (@noble/ciphers)
 * - xeddsa.ts      libsignal's XEdDSA (@noble/curves Edwards arithmetic); the
 *                  XEdDSA spec's variant as xeddsaSignSpec/xeddsaVerifySpec
 * - ed25519.ts     plain Ed25519 (@noble/curves), for vectors and checks
 * - kem-mlkem1024.ts  ML-KEM-1024 (FIPS 203, @noble/post-quantum)
 * - kem-kyber1024.ts  Kyber1024 round 3, libsignal key type 0x08
 *
 * Every function that needs randomness accepts it as an optional explicit
 * argument; bad input throws the typed errors of ../errors.ts.
 */
export { asBuffer, checkBytes, concatBytes, fromHex, toHex } from './bytes.ts';
export { constantTimeEqual, randomBytes } from './random.ts';
export { sha256, sha3_256, sha512, shake256 } from './hash.ts';
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
