/**
 * Incremental primitives over node:crypto (see ../incremental-backend.ts).
 *
 * HMAC snapshots: node's Hmac object cannot be copied, but its Hash can, so
 * HMAC-SHA256 is computed as RFC 2104 defines it from two OpenSSL SHA-256
 * objects, `H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))`, and a snapshot finishes a
 * copy of the inner hash. Keys longer than the block are hashed first, as
 * RFC 2104 says. Checked against createHmac in the tests.
 */
import { createCipheriv, createDecipheriv, createHash, type Hash } from 'node:crypto';
import type { CbcStream, IncrementalBackend, IncrementalHash, IncrementalHmac } from '../incremental-backend.ts';
import { asUint8Array } from './buffers.ts';

const BLOCK = 64;

function sha256(): IncrementalHash {
  const h = createHash('sha256');
  return { update: (d) => void h.update(d), digest: () => asUint8Array(h.digest()) };
}

function hmacSha256(key: Uint8Array): IncrementalHmac {
  const k = new Uint8Array(BLOCK);
  k.set(key.length > BLOCK ? createHash('sha256').update(key).digest() : key);
  const ipad = k.map((b) => b ^ 0x36);
  const opad = k.map((b) => b ^ 0x5c);
  const inner: Hash = createHash('sha256').update(ipad);
  const outer = (innerDigest: Buffer): Uint8Array => asUint8Array(createHash('sha256').update(opad).update(innerDigest).digest());
  return {
    update: (d) => void inner.update(d),
    snapshot: () => outer(inner.copy().digest()),
    digest: () => outer(inner.digest()),
  };
}

function cbc(decipher: boolean, key: Uint8Array, iv: Uint8Array): CbcStream {
  const c = decipher ? createDecipheriv('aes-256-cbc', key, iv) : createCipheriv('aes-256-cbc', key, iv);
  return {
    update: (d) => asUint8Array(c.update(d)),
    final: () => {
      try {
        return asUint8Array(c.final());
      } catch {
        return undefined;
      }
    },
  };
}

export const incrementalBackend: IncrementalBackend = {
  name: 'node',
  sha256,
  hmacSha256,
  aes256CbcEncryptStream: (key, iv) => cbc(false, key, iv),
  aes256CbcDecryptStream: (key, iv) => cbc(true, key, iv),
};
