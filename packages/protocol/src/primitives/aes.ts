/**
 * AES-256 modes. CBC/CTR/GCM from the active backend (node: OpenSSL; web:
 * @noble/ciphers); GCM-SIV (RFC 8452), which Node 20's OpenSSL lacks, from
 * @noble/ciphers on both. Inputs are checked here, so backends see only
 * well-formed arguments.
 *
 * Every decrypt failure is a DecryptionError with a specific code:
 * DECRYPTION_FAILED (malformed/short input), BAD_PADDING (CBC), BAD_TAG (AEAD).
 */
import { backend } from '#primitives-backend';
import { gcmsiv } from '@noble/ciphers/aes.js';
import { DecryptionError, InvalidArgumentError } from '../errors.ts';
import { checkBytes } from './bytes.ts';
import { checkKeyBytes } from './key-bytes.ts';

const BLOCK = 16;
const TAG_LENGTH = 16;
const EMPTY = new Uint8Array(0);

function checkKey(key: unknown): Uint8Array {
  return checkKeyBytes('AES-256 key', key, 32);
}

/** AES-256-CBC with PKCS#7 padding. `iv` is 16 bytes. The result owns its memory. */
export function aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKey(key);
  checkBytes('AES-CBC iv', iv, BLOCK);
  checkBytes('AES-CBC plaintext', plaintext);
  return backend.aes256CbcEncrypt(key, iv, plaintext);
}

/**
 * Inverse of aes256CbcEncrypt. Throws DecryptionError: DECRYPTION_FAILED if
 * the ciphertext is empty or not whole blocks, BAD_PADDING if PKCS#7 padding
 * is wrong.
 */
export function aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkKey(key);
  checkBytes('AES-CBC iv', iv, BLOCK);
  checkBytes('AES-CBC ciphertext', ciphertext);
  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) {
    throw new DecryptionError(
      'DECRYPTION_FAILED',
      `AES-CBC ciphertext must be a non-zero multiple of ${BLOCK} bytes, got ${ciphertext.length}`,
    );
  }
  const plaintext = backend.aes256CbcDecrypt(key, iv, ciphertext);
  if (plaintext === undefined) throw new DecryptionError('BAD_PADDING', 'AES-CBC ciphertext has invalid PKCS#7 padding');
  return plaintext;
}

/**
 * AES-256-CTR keystream XOR (encrypt and decrypt are the same). `iv16` is the
 * initial 128-bit big-endian counter block, incremented over all 128 bits.
 */
export function aes256Ctr(key: Uint8Array, iv16: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  checkBytes('AES-CTR iv', iv16, BLOCK);
  checkBytes('AES-CTR data', data);
  return backend.aes256Ctr(key, iv16, data);
}

function checkGcmNonce(nonce: Uint8Array): void {
  checkBytes('AES-GCM nonce', nonce);
  // GCM allows any non-empty IV (SP 800-38D); 12 bytes is the normal size.
  if (nonce.length === 0) throw new InvalidArgumentError('AES-GCM nonce must not be empty');
}

/** AES-256-GCM encrypt -> ciphertext || 16-byte tag. */
export function aes256GcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  checkKey(key);
  checkGcmNonce(nonce);
  checkBytes('AES-GCM plaintext', plaintext);
  checkBytes('AES-GCM aad', aad);
  return backend.aes256GcmEncrypt(key, nonce, plaintext, aad);
}

/**
 * AES-256-GCM decrypt of ciphertext || tag. Throws DecryptionError
 * (DECRYPTION_FAILED if shorter than the tag, BAD_TAG if authentication fails).
 * No plaintext is released unless the tag verifies.
 */
export function aes256GcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  checkKey(key);
  checkGcmNonce(nonce);
  checkBytes('AES-GCM ciphertext', ciphertextAndTag);
  checkBytes('AES-GCM aad', aad);
  if (ciphertextAndTag.length < TAG_LENGTH) {
    throw new DecryptionError('DECRYPTION_FAILED', `AES-GCM input must be at least ${TAG_LENGTH} bytes (the tag), got ${ciphertextAndTag.length}`);
  }
  const plaintext = backend.aes256GcmDecrypt(key, nonce, ciphertextAndTag, aad);
  if (plaintext === undefined) throw new DecryptionError('BAD_TAG', 'AES-GCM authentication tag does not match');
  return plaintext;
}

function checkSivNonce(nonce: Uint8Array): void {
  checkBytes('AES-GCM-SIV nonce', nonce, 12);
}

/** AES-256-GCM-SIV (RFC 8452) encrypt -> ciphertext || 16-byte tag. Nonce is 12 bytes. */
export function aes256GcmSivEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  checkKey(key);
  checkSivNonce(nonce);
  checkBytes('AES-GCM-SIV plaintext', plaintext);
  checkBytes('AES-GCM-SIV aad', aad);
  return gcmsiv(key, nonce, aad).encrypt(plaintext);
}

/**
 * AES-256-GCM-SIV decrypt of ciphertext || tag. Throws DecryptionError
 * (DECRYPTION_FAILED if shorter than the tag, BAD_TAG if authentication fails).
 */
export function aes256GcmSivDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  checkKey(key);
  checkSivNonce(nonce);
  checkBytes('AES-GCM-SIV ciphertext', ciphertextAndTag);
  checkBytes('AES-GCM-SIV aad', aad);
  if (ciphertextAndTag.length < TAG_LENGTH) {
    throw new DecryptionError('DECRYPTION_FAILED', `AES-GCM-SIV input must be at least ${TAG_LENGTH} bytes (the tag), got ${ciphertextAndTag.length}`);
  }
  try {
    return gcmsiv(key, nonce, aad).decrypt(ciphertextAndTag);
  } catch {
    throw new DecryptionError('BAD_TAG', 'AES-GCM-SIV authentication tag does not match');
  }
}
