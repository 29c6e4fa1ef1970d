/**
 * Incremental (streaming) SHA-256, HMAC-SHA256 with prefix snapshots, and
 * AES-256-CBC, from the active backend (`#incremental-backend`: node:crypto
 * or @noble/*; see incremental-backend.ts). Keys and IVs are checked here.
 */
import { incrementalBackend } from '#incremental-backend';
import type { CbcStream, IncrementalHash, IncrementalHmac } from './incremental-backend.ts';
import { checkBytes } from './bytes.ts';
import { checkKeyBytes } from './key-bytes.ts';

export type { CbcStream, IncrementalHash, IncrementalHmac } from './incremental-backend.ts';

/** A SHA-256 to feed chunk by chunk. */
export function sha256Incremental(): IncrementalHash {
  return incrementalBackend.sha256();
}

/** An HMAC-SHA256 under `key` (any length) to feed chunk by chunk, with `snapshot()` of the prefix MAC. */
export function hmacSha256Incremental(key: Uint8Array): IncrementalHmac {
  return incrementalBackend.hmacSha256(checkBytes('HMAC key', key).slice());
}

/** AES-256-CBC/PKCS#7 encryption fed chunk by chunk; `iv` is 16 bytes. */
export function aes256CbcEncryptStream(key: Uint8Array, iv: Uint8Array): CbcStream {
  return incrementalBackend.aes256CbcEncryptStream(checkKeyBytes('AES-256 key', key, 32).slice(), checkBytes('AES-CBC iv', iv, 16).slice());
}

/** AES-256-CBC/PKCS#7 decryption fed chunk by chunk; `final()` is undefined on bad padding or partial blocks. */
export function aes256CbcDecryptStream(key: Uint8Array, iv: Uint8Array): CbcStream {
  return incrementalBackend.aes256CbcDecryptStream(checkKeyBytes('AES-256 key', key, 32).slice(), checkBytes('AES-CBC iv', iv, 16).slice());
}

/** Which incremental backend is active. */
export const incrementalBackendName: 'node' | 'web' = incrementalBackend.name;
