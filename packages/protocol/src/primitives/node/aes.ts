/**
 * AES-256 CBC/CTR/GCM via node:crypto (OpenSSL). Inputs arrive validated
 * (../aes.ts); failures come back as `undefined` for ../aes.ts to type.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { gcm as nobleGcm } from '@noble/ciphers/aes.js';
import { asBuffer, asUint8Array } from './buffers.ts';

const TAG_LENGTH = 16;

/**
 * update() ‖ final() as one array that owns its memory. Both are fresh,
 * exactly-sized Buffers from OpenSSL's binding, so when one is empty the
 * other is returned as is. Buffer.concat would instead copy into a slice of
 * Buffer's shared 8 KiB pool: in the ratchet's message loop the pool
 * refills showed up at ~8% of the time, and the slice would leave message
 * bytes in pool memory that later Buffers reuse.
 */
function joinOutput(head: Buffer, tail: Buffer): Uint8Array {
  if (tail.length === 0) return asUint8Array(head);
  if (head.length === 0) return asUint8Array(tail);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

export function aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-cbc', key, iv); // Uint8Arrays as they are (twice per message: no Buffer views)
  const head = c.update(plaintext);
  return joinOutput(head, c.final());
}

export function aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  const d = createDecipheriv('aes-256-cbc', key, iv);
  const head = d.update(ciphertext);
  let tail: Buffer;
  try {
    tail = d.final();
  } catch {
    head.fill(0);
    return undefined;
  }
  return joinOutput(head, tail);
}

export function aes256Ctr(key: Uint8Array, iv16: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-ctr', asBuffer(key), asBuffer(iv16));
  return joinOutput(c.update(data), c.final());
}

/**
 * OpenSSL (as Node 20 exposes it) refuses GCM IVs longer than 128 bytes;
 * SP 800-38D allows them, so such nonces go through @noble/ciphers' GCM.
 * Every real caller uses 12 bytes and stays on OpenSSL.
 */
const NODE_MAX_GCM_NONCE = 128;

export function aes256GcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  if (nonce.length > NODE_MAX_GCM_NONCE) return nobleGcm(key, nonce, aad).encrypt(plaintext);
  const c = createCipheriv('aes-256-gcm', asBuffer(key), asBuffer(nonce), { authTagLength: TAG_LENGTH });
  c.setAAD(asBuffer(aad));
  const head = c.update(plaintext);
  const tail = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(head.length + tail.length + TAG_LENGTH);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(tag, head.length + tail.length);
  return out;
}

export function aes256GcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  if (nonce.length > NODE_MAX_GCM_NONCE) {
    try {
      return nobleGcm(key, nonce, aad).decrypt(ciphertextAndTag);
    } catch {
      return undefined;
    }
  }
  const split = ciphertextAndTag.length - TAG_LENGTH;
  const d = createDecipheriv('aes-256-gcm', asBuffer(key), asBuffer(nonce), { authTagLength: TAG_LENGTH });
  d.setAAD(asBuffer(aad));
  d.setAuthTag(asBuffer(ciphertextAndTag.subarray(split)));
  const head = d.update(ciphertextAndTag.subarray(0, split));
  let tail: Buffer;
  try {
    tail = d.final();
  } catch {
    head.fill(0);
    return undefined;
  }
  return joinOutput(head, tail);
}
