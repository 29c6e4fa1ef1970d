/**
 * What a platform backend of the *incremental* (streaming) primitives
 * provides: SHA-256 and HMAC-SHA256 fed chunk by chunk, HMAC with a
 * snapshot of the MAC so far (libsignal's incremental MAC needs the MAC of
 * every prefix), and AES-256-CBC fed chunk by chunk. Used by attachment
 * encryption (../attachments), where files are far larger than memory.
 *
 * Two implement it, chosen by the `#incremental-backend` subpath import with
 * the same conditions as `#primitives-backend`: node/incremental.ts
 * (node:crypto) and web/incremental.ts (@noble/hashes, @noble/ciphers).
 * Arguments are checked by ./incremental.ts before they reach a backend.
 */

/** SHA-256 fed incrementally. */
export interface IncrementalHash {
  update(data: Uint8Array): void;
  /** The digest of everything fed; the object is finished afterwards. */
  digest(): Uint8Array;
}

/** HMAC-SHA256 fed incrementally, with the MAC of the prefix fed so far on demand. */
export interface IncrementalHmac {
  update(data: Uint8Array): void;
  /** HMAC of everything fed so far; feeding may continue. */
  snapshot(): Uint8Array;
  /** HMAC of everything fed; the object is finished afterwards. */
  digest(): Uint8Array;
}

/**
 * AES-256-CBC with PKCS#7 fed incrementally: `update` returns the whole
 * blocks it can, `final` the rest (encrypt: the padded last block; decrypt:
 * the unpadded tail, or undefined when the padding is bad or the input was
 * not whole blocks).
 */
export interface CbcStream {
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array | undefined;
}

export interface IncrementalBackend {
  readonly name: 'node' | 'web';
  sha256(): IncrementalHash;
  hmacSha256(key: Uint8Array): IncrementalHmac;
  aes256CbcEncryptStream(key: Uint8Array, iv: Uint8Array): CbcStream;
  aes256CbcDecryptStream(key: Uint8Array, iv: Uint8Array): CbcStream;
}
