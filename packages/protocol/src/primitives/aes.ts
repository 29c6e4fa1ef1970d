/**
 * AES-256 modes. CBC/CTR/GCM via node:crypto (OpenSSL); GCM-SIV (RFC 8452),
 * which Node 20's OpenSSL lacks, via @noble/ciphers.
 *
 * Every decrypt failure is a DecryptionError with a specific code:
 * DECRYPTION_FAILED (malformed/short input), BAD_PADDING (CBC), BAD_TAG (AEAD).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { gcm as nobleGcm, gcmsiv } from '@noble/ciphers/aes.js';
import { DecryptionError, InvalidArgumentError, InvalidKeyError } from '../errors.ts';
import { asBuffer, checkBytes } from './bytes.ts';

const BLOCK = 16;
const TAG_LENGTH = 16;
const EMPTY = new Uint8Array(0);

function checkKey(key: unknown): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new InvalidKeyError(
      `AES-256 key must be a 32-byte Uint8Array, got ${key instanceof Uint8Array ? `${key.length} bytes` : typeof key}`,
    );
  }
  return key;
}

function toU8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** AES-256-CBC with PKCS#7 padding. `iv` is 16 bytes. */
/**
 * update() ‖ final() as one array that owns its memory. Both are fresh,
 * exactly-sized Buffers from OpenSSL's binding, so when one is empty the
 * other is returned as is. Buffer.concat would instead copy into a slice of
 * Buffer's shared 8 KiB pool: in the ratchet's message loop the pool
 * refills showed up at ~8% of the time, and the slice would leave message
 * bytes in pool memory that later Buffers reuse.
 */
function joinOutput(head: Buffer, tail: Buffer): Uint8Array {
  if (tail.length === 0) return toU8(head);
  if (head.length === 0) return toU8(tail);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

export function aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKey(key);
  checkBytes('AES-CBC iv', iv, BLOCK);
  checkBytes('AES-CBC plaintext', plaintext);
  const c = createCipheriv('aes-256-cbc', asBuffer(key), asBuffer(iv));
  const head = c.update(plaintext);
  return joinOutput(head, c.final());
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
  const d = createDecipheriv('aes-256-cbc', asBuffer(key), asBuffer(iv));
  const head = d.update(ciphertext);
  let tail: Buffer;
  try {
    tail = d.final();
  } catch {
    throw new DecryptionError('BAD_PADDING', 'AES-CBC ciphertext has invalid PKCS#7 padding');
  }
  return joinOutput(head, tail);
}

/**
 * AES-256-CTR keystream XOR (encrypt and decrypt are the same). `iv16` is the
 * initial 128-bit big-endian counter block, incremented over all 128 bits.
 */
export function aes256Ctr(key: Uint8Array, iv16: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  checkBytes('AES-CTR iv', iv16, BLOCK);
  checkBytes('AES-CTR data', data);
  const c = createCipheriv('aes-256-ctr', asBuffer(key), asBuffer(iv16));
  return toU8(Buffer.concat([c.update(data), c.final()]));
}

/**
 * OpenSSL (as Node 20 exposes it) refuses GCM IVs longer than 128 bytes;
 * SP 800-38D allows them, so such nonces go through @noble/ciphers' GCM.
 * Every real caller uses 12 bytes and stays on OpenSSL.
 */
const NODE_MAX_GCM_NONCE = 128;

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
  if (nonce.length > NODE_MAX_GCM_NONCE) return nobleGcm(key, nonce, aad).encrypt(plaintext);
  const c = createCipheriv('aes-256-gcm', asBuffer(key), asBuffer(nonce), { authTagLength: TAG_LENGTH });
  c.setAAD(asBuffer(aad));
  return toU8(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
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
  if (nonce.length > NODE_MAX_GCM_NONCE) {
    try {
      return nobleGcm(key, nonce, aad).decrypt(ciphertextAndTag);
    } catch {
      throw new DecryptionError('BAD_TAG', 'AES-GCM authentication tag does not match');
    }
  }
  const split = ciphertextAndTag.length - TAG_LENGTH;
  const d = createDecipheriv('aes-256-gcm', asBuffer(key), asBuffer(nonce), { authTagLength: TAG_LENGTH });
  d.setAAD(asBuffer(aad));
  d.setAuthTag(asBuffer(ciphertextAndTag.subarray(split)));
  const head = d.update(ciphertextAndTag.subarray(0, split));
  try {
    return toU8(Buffer.concat([head, d.final()]));
  } catch {
    head.fill(0);
    throw new DecryptionError('BAD_TAG', 'AES-GCM authentication tag does not match');
  }
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
