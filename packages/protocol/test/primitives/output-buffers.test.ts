/**
 * hmacSha256 (which also takes its data in parts) and AES-CBC return views of the Buffers node's crypto binding
 * allocates instead of copies (or Buffer.concat slices). Each result must
 * own its memory — exactly its own bytes, not a window on Buffer's shared
 * pool — and results must stay independent of each other.
 */
import { describe, expect, it } from 'vitest';
import { aes256CbcDecrypt, aes256CbcEncrypt, concatBytes, hmacSha256, randomBytes, toHex } from '../../src/primitives/index.ts';

describe('hmacSha256 output', () => {
  it('owns a 32-byte buffer of its own', () => {
    const mac = hmacSha256(new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'));
    // RFC 4231 test case 2.
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(mac.byteOffset).toBe(0);
    expect(mac.buffer.byteLength).toBe(32);
  });

  it('gives independent results: overwriting one leaves another intact', () => {
    const key = new Uint8Array(32).fill(7);
    const first = hmacSha256(key, Uint8Array.of(1));
    const second = hmacSha256(key, Uint8Array.of(1));
    const expected = toHex(second);
    first.fill(0);
    expect(toHex(second)).toBe(expected);
    expect(first.buffer).not.toBe(second.buffer);
  });

  it('AES-CBC results own exactly their bytes for every length around the block size', () => {
    const key = randomBytes(32);
    const iv = randomBytes(16);
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 1024]) {
      const plaintext = randomBytes(length);
      const ciphertext = aes256CbcEncrypt(key, iv, plaintext);
      expect(ciphertext.length).toBe((Math.floor(length / 16) + 1) * 16);
      expect(ciphertext.buffer.byteLength).toBe(ciphertext.length);
      const decrypted = aes256CbcDecrypt(key, iv, ciphertext);
      expect(toHex(decrypted)).toBe(toHex(plaintext));
      expect(decrypted.buffer.byteLength).toBe(decrypted.length);
    }
  });

  it('HMAC over several parts equals HMAC over their concatenation', () => {
    const key = randomBytes(32);
    const parts = [randomBytes(33), randomBytes(33), randomBytes(0), randomBytes(121)];
    expect(toHex(hmacSha256(key, ...parts))).toBe(toHex(hmacSha256(key, concatBytes(...parts))));
  });
});
