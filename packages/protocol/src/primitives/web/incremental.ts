/**
 * Incremental primitives over @noble/hashes and @noble/ciphers (see
 * ../incremental-backend.ts). noble's hash and HMAC objects clone, which
 * gives HMAC snapshots directly. noble's CBC is one-shot, so the stream
 * encrypts whole blocks without padding and carries the chaining value (the
 * last ciphertext block) into the next call as its IV, which is what CBC
 * is; PKCS#7 is applied by noble on the last call.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type { CbcStream, IncrementalBackend, IncrementalHash, IncrementalHmac } from '../incremental-backend.ts';

const BLOCK = 16;

function sha256(): IncrementalHash {
  const h = nobleSha256.create();
  return { update: (d) => void h.update(d), digest: () => h.digest() };
}

function hmacSha256(key: Uint8Array): IncrementalHmac {
  const h = hmac.create(nobleSha256, key);
  return { update: (d) => void h.update(d), snapshot: () => h.clone().digest(), digest: () => h.digest() };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function cbcStream(decrypt: boolean, key: Uint8Array, iv: Uint8Array): CbcStream {
  let chain = iv.slice();
  let pending: Uint8Array = new Uint8Array(0);
  return {
    update(d) {
      const all = concat(pending, d);
      // Decrypt keeps the last whole block back: PKCS#7 is removed from it in final().
      let take = all.length - (all.length % BLOCK);
      if (decrypt && take === all.length) take -= BLOCK;
      if (take <= 0) {
        pending = all;
        return new Uint8Array(0);
      }
      const part = all.subarray(0, take);
      pending = all.slice(take);
      const out = decrypt ? cbc(key, chain, { disablePadding: true }).decrypt(part) : cbc(key, chain, { disablePadding: true }).encrypt(part);
      chain = (decrypt ? part : out).slice(take - BLOCK, take);
      return out;
    },
    final() {
      try {
        if (decrypt) {
          if (pending.length !== BLOCK) return undefined;
          return cbc(key, chain).decrypt(pending);
        }
        return cbc(key, chain).encrypt(pending);
      } catch {
        return undefined;
      }
    },
  };
}

export const incrementalBackend: IncrementalBackend = {
  name: 'web',
  sha256,
  hmacSha256,
  aes256CbcEncryptStream: (key, iv) => cbcStream(false, key, iv),
  aes256CbcDecryptStream: (key, iv) => cbcStream(true, key, iv),
};
