/**
 * AES-256-GCM for nonces of 1-7 bytes, which @noble/ciphers' `gcm` refuses
 * (it requires at least 8; SP 800-38D allows any non-empty IV and OpenSSL
 * accepts them, so the node backend does, and Wycheproof tests them). The
 * same steps as noble's gcm for a non-96-bit IV, on noble's exported AES
 * core (`unsafe.expandKeyLE`, `unsafe.ctr32`) and GHASH:
 *   H = E_K(0^128); J0 = GHASH_H(IV ‖ 0-pad ‖ 0^64 ‖ [len(IV)]_64);
 *   C = GCTR_K(inc32(J0), P); T = E_K(J0) xor GHASH_H(A ‖ pad ‖ C ‖ pad ‖ [len(A)]_64 ‖ [len(C)]_64).
 * Wycheproof's aes_gcm_test.json short-IV cases check it.
 */
import { ghash } from '@noble/ciphers/_polyval.js';
import { unsafe } from '@noble/ciphers/aes.js';

const BLOCK = 16;

function lengthsBlock(aadBytes: number, dataBytes: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const view = new DataView(block.buffer);
  view.setBigUint64(0, BigInt(aadBytes) * 8n, false);
  view.setBigUint64(8, BigInt(dataBytes) * 8n, false);
  return block;
}

interface GcmKeys {
  xk: Uint32Array;
  authKey: Uint8Array;
  /** inc32(J0), where the payload's counter starts. */
  counter: Uint8Array;
  /** E_K(J0). */
  tagMask: Uint8Array;
}

function deriveKeys(key: Uint8Array, nonce: Uint8Array): GcmKeys {
  const xk = unsafe.expandKeyLE(key);
  const authKey = new Uint8Array(BLOCK);
  unsafe.ctr32(xk, false, new Uint8Array(BLOCK), new Uint8Array(BLOCK), authKey);
  const counter = new Uint8Array(BLOCK);
  ghash.create(authKey).update(nonce).update(lengthsBlock(0, nonce.length)).digestInto(counter);
  // ctr32 leaves `counter` advanced to inc32(J0).
  const tagMask = unsafe.ctr32(xk, false, counter, new Uint8Array(BLOCK));
  return { xk, authKey, counter, tagMask };
}

function tag(keys: GcmKeys, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const t = ghash.create(keys.authKey, aad.length + ciphertext.length).update(aad).update(ciphertext).update(lengthsBlock(aad.length, ciphertext.length)).digest();
  for (let i = 0; i < BLOCK; i++) t[i]! ^= keys.tagMask[i]!;
  return t;
}

function wipe(keys: GcmKeys): void {
  keys.xk.fill(0);
  keys.authKey.fill(0);
  keys.counter.fill(0);
  keys.tagMask.fill(0);
}

export function gcmShortNonceEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const keys = deriveKeys(key, nonce);
  const out = new Uint8Array(plaintext.length + BLOCK);
  // ctr32 works on 32-bit views, so the input is copied to an aligned array.
  unsafe.ctr32(keys.xk, false, keys.counter, plaintext.slice(), out.subarray(0, plaintext.length));
  out.set(tag(keys, aad, out.subarray(0, plaintext.length)), plaintext.length);
  wipe(keys);
  return out;
}

/** Returns undefined when the tag does not match (no plaintext is computed then). */
export function gcmShortNonceDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  const keys = deriveKeys(key, nonce);
  const ciphertext = ciphertextAndTag.slice(0, ciphertextAndTag.length - BLOCK);
  const expected = tag(keys, aad, ciphertext);
  const passed = ciphertextAndTag.subarray(ciphertextAndTag.length - BLOCK);
  let diff = 0;
  for (let i = 0; i < BLOCK; i++) diff |= expected[i]! ^ passed[i]!;
  if (diff !== 0) {
    wipe(keys);
    return undefined;
  }
  const plaintext = unsafe.ctr32(keys.xk, false, keys.counter, ciphertext);
  wipe(keys);
  return plaintext;
}
