/**
 * What a platform backend of the primitives provides. Two implement it:
 * node/index.ts (node:crypto, i.e. OpenSSL — the fast path on Node) and
 * web/index.ts (@noble/* and WebCrypto's getRandomValues — browsers, Deno,
 * workers; no Buffer, no node:*). packages/protocol/package.json maps the
 * subpath import `#primitives-backend` to one of them by condition:
 * `sealpost-web` (forces web), `browser` -> web, `node` -> node,
 * `default` -> web.
 *
 * The files beside this one validate every input and map failures to typed
 * errors before and after calling a backend, so a backend sees only
 * well-formed arguments: keys and IVs of the right length, lengths in range.
 * Everything whose code is the same on both platforms (XEdDSA, Ed25519,
 * SHA-3, the KEMs, AES-GCM-SIV, constant-time comparison) is not part of it.
 */

/** Which backend is active. */
export type PrimitivesBackendName = 'node' | 'web';

export interface PrimitivesBackend {
  readonly name: PrimitivesBackendName;
  /** `n` bytes (n a non-negative safe integer) from the platform CSPRNG. */
  randomBytes(n: number): Uint8Array;
  /** SHA-256 / SHA-512 of the concatenation of `parts`. */
  sha256(parts: readonly Uint8Array[]): Uint8Array;
  sha512(parts: readonly Uint8Array[]): Uint8Array;
  /** SHA3-256 / SHA3-512 (FIPS 202) of the concatenation of `parts`. */
  sha3_256(parts: readonly Uint8Array[]): Uint8Array;
  sha3_512(parts: readonly Uint8Array[]): Uint8Array;
  /** SHAKE-128 / SHAKE-256 (FIPS 202) of the concatenation of `parts`, `outputLength` bytes (a non-negative safe integer). */
  shake128(outputLength: number, parts: readonly Uint8Array[]): Uint8Array;
  shake256(outputLength: number, parts: readonly Uint8Array[]): Uint8Array;
  /** HMAC-SHA256(key, parts[0] ‖ parts[1] ‖ …). */
  hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  /** HKDF-SHA256 (RFC 5869), 1 <= length <= 8160; an empty salt means HashLen zero bytes. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** AES-256-CBC/PKCS#7; decrypt gets whole, non-empty blocks and returns undefined for bad padding. */
  aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
  /** AES-256-CTR with a 16-byte big-endian counter block incremented over all 128 bits. */
  aes256Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-256-GCM, any non-empty nonce, 16-byte tag appended; decrypt returns undefined for a bad tag. */
  aes256GcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  aes256GcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | undefined;
  /** X25519 public key of a 32-byte private key (clamped as RFC 7748 says). */
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** X25519 agreement; undefined when the result is all zero (low-order public key). */
  x25519Agree(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined;
  /**
   * Optional fast RFC 8032 Ed25519 verification (strict: s < L, canonical
   * encodings) of a 32-byte Edwards public key. XEdDSA uses it only to
   * accept quickly; a backend without a faster verifier than the shared
   * noble arithmetic leaves it out.
   */
  /** Optional faster RFC 8032 Ed25519 signing (32-byte seed); must equal the shared noble signer byte for byte. */
  readonly ed25519SignFast?: (secretKey: Uint8Array, message: Uint8Array) => Uint8Array;
  readonly ed25519VerifyFast?: (edwardsPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
  /** Optional fast base64 (standard with padding, or URL-safe without); must equal bytes.ts's encoder. */
  readonly base64Encode?: (bytes: Uint8Array, url: boolean) => string;
  /**
   * Optional fast strict decode: the bytes (a fresh copy) when `text` is the
   * canonical encoding of some byte string, otherwise undefined (the caller's
   * strict decoder then reports the fault).
   */
  readonly base64DecodeCanonical?: (text: string, url: boolean) => Uint8Array | undefined;
  /** Drops every cached key object (see node/key-object-cache.ts); the web backend keeps none. */
  clearCaches(): void;
  /** How many entries each cache holds now, by cache name. */
  cacheSizes(): Record<string, number>;
}
