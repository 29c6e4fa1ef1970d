import { Aes256GcmSiv } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { DecryptionError, InvalidArgumentError, InvalidKeyError } from '../../src/errors.ts';
import {
  aes256CbcDecrypt,
  aes256CbcEncrypt,
  aes256Ctr,
  aes256GcmDecrypt,
  aes256GcmEncrypt,
  aes256GcmSivDecrypt,
  aes256GcmSivEncrypt,
  randomBytes,
  toHex,
} from '../../src/primitives/index.ts';

function ab(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

function errorOf(fn: () => unknown): DecryptionError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecryptionError) return e;
    throw e;
  }
  throw new Error('expected a DecryptionError, nothing was thrown');
}

const key = randomBytes(32);
const iv = randomBytes(16);
const nonce = randomBytes(12);

describe('AES-256-CBC (PKCS#7)', () => {
  it('round-trips every length 0..48 and always pads (a full block when aligned)', () => {
    for (let n = 0; n <= 48; n++) {
      const pt = randomBytes(n);
      const ct = aes256CbcEncrypt(key, iv, pt);
      expect(ct.length).toBe((Math.floor(n / 16) + 1) * 16);
      expect(aes256CbcDecrypt(key, iv, ct)).toEqual(pt);
    }
  });

  it('rejects wrong key and iv lengths', () => {
    expect(() => aes256CbcEncrypt(randomBytes(16), iv, new Uint8Array(1))).toThrow(InvalidKeyError);
    expect(() => aes256CbcEncrypt(randomBytes(16), iv, new Uint8Array(1))).toThrow(/AES-256 key must be a 32-byte Uint8Array, got 16 bytes/);
    expect(() => aes256CbcDecrypt(key, randomBytes(12), new Uint8Array(16))).toThrow(InvalidArgumentError);
    expect(() => aes256CbcDecrypt(key, randomBytes(12), new Uint8Array(16))).toThrow(/AES-CBC iv must be 16 bytes, got 12/);
  });

  it('short / misaligned ciphertext: DECRYPTION_FAILED', () => {
    for (const n of [0, 1, 15, 17, 31]) {
      const e = errorOf(() => aes256CbcDecrypt(key, iv, randomBytes(n)));
      expect(e.code).toBe('DECRYPTION_FAILED');
      expect(e.message).toBe(`AES-CBC ciphertext must be a non-zero multiple of 16 bytes, got ${n}`);
    }
  });

  it('bad padding: BAD_PADDING (pad byte out of range, inconsistent pad bytes)', () => {
    // 15 bytes -> one block whose last byte is the pad 0x01. Changing the IV
    // changes the decrypted block bytewise, so padding can be corrupted at will.
    const ct = aes256CbcEncrypt(key, iv, new TextEncoder().encode('fifteen bytes!!'));
    expect(ct.length).toBe(16);
    const outOfRange = Uint8Array.from(iv);
    outOfRange[15]! ^= 0x01 ^ 0x21; // pad byte becomes 0x21 (> 16)
    const inconsistent = Uint8Array.from(iv);
    inconsistent[15]! ^= 0x01 ^ 0x02; // pad byte 0x02, but the byte before is not 0x02
    for (const badIv of [outOfRange, inconsistent]) {
      const e = errorOf(() => aes256CbcDecrypt(key, badIv, ct));
      expect(e.code).toBe('BAD_PADDING');
      expect(e.message).toBe('AES-CBC ciphertext has invalid PKCS#7 padding');
    }
  });
});

describe('AES-256-CTR', () => {
  it('is its own inverse and carries the counter over all 128 bits', () => {
    const data = randomBytes(100);
    expect(aes256Ctr(key, iv, aes256Ctr(key, iv, data))).toEqual(data);
    const allOnes = new Uint8Array(16).fill(0xff);
    const two = aes256Ctr(key, allOnes, new Uint8Array(32));
    // Block 2 uses counter 0 (wrap), i.e. the keystream of an all-zero counter block.
    expect(toHex(two.subarray(16))).toBe(toHex(aes256Ctr(key, new Uint8Array(16), new Uint8Array(16))));
  });

  it('rejects wrong key and counter lengths', () => {
    expect(() => aes256Ctr(randomBytes(24), iv, new Uint8Array(1))).toThrow(InvalidKeyError);
    expect(() => aes256Ctr(key, randomBytes(12), new Uint8Array(1))).toThrow(/AES-CTR iv must be 16 bytes, got 12/);
  });
});

describe('AES-256-GCM', () => {
  it('round-trips with and without AAD; output is ciphertext || 16-byte tag', () => {
    const pt = randomBytes(33);
    const aad = randomBytes(7);
    const ct = aes256GcmEncrypt(key, nonce, pt, aad);
    expect(ct.length).toBe(33 + 16);
    expect(aes256GcmDecrypt(key, nonce, ct, aad)).toEqual(pt);
    expect(aes256GcmDecrypt(key, nonce, aes256GcmEncrypt(key, nonce, pt))).toEqual(pt);
  });

  it('bad tag, wrong AAD, wrong nonce: BAD_TAG', () => {
    const ct = aes256GcmEncrypt(key, nonce, randomBytes(20), randomBytes(3));
    const flipped = Uint8Array.from(ct);
    flipped[ct.length - 1]! ^= 1;
    for (const [c, n, a] of [
      [flipped, nonce, undefined],
      [ct, nonce, randomBytes(3)],
      [ct, randomBytes(12), undefined],
    ] as const) {
      const e = errorOf(() => aes256GcmDecrypt(key, n, c, a));
      expect(e.code).toBe('BAD_TAG');
      expect(e.message).toBe('AES-GCM authentication tag does not match');
    }
  });

  it('input shorter than the tag: DECRYPTION_FAILED; empty nonce and bad key rejected', () => {
    const e = errorOf(() => aes256GcmDecrypt(key, nonce, new Uint8Array(15)));
    expect(e.code).toBe('DECRYPTION_FAILED');
    expect(e.message).toBe('AES-GCM input must be at least 16 bytes (the tag), got 15');
    expect(() => aes256GcmEncrypt(key, new Uint8Array(0), new Uint8Array(1))).toThrow(/nonce must not be empty/);
    expect(() => aes256GcmEncrypt(randomBytes(31), nonce, new Uint8Array(1))).toThrow(InvalidKeyError);
  });

  it('long nonces (> 128 bytes, beyond OpenSSL) go through @noble/ciphers and still authenticate', () => {
    const longNonce = randomBytes(200);
    const ct = aes256GcmEncrypt(key, longNonce, new Uint8Array(5));
    expect(aes256GcmDecrypt(key, longNonce, ct)).toEqual(new Uint8Array(5));
    ct[0]! ^= 1;
    expect(errorOf(() => aes256GcmDecrypt(key, longNonce, ct)).code).toBe('BAD_TAG');
  });
});

describe('AES-256-GCM-SIV', () => {
  it('is byte-identical to libsignal-client Aes256GcmSiv in both directions', () => {
    for (let i = 0; i < 20; i++) {
      const k = randomBytes(32);
      const n = randomBytes(12);
      const pt = randomBytes(i * 7);
      const aad = randomBytes(i % 5);
      const theirs = Aes256GcmSiv.new(ab(k));
      const ours = aes256GcmSivEncrypt(k, n, pt, aad);
      expect(toHex(ours)).toBe(toHex(theirs.encrypt(ab(pt), ab(n), ab(aad))));
      expect(toHex(theirs.decrypt(ab(ours), ab(n), ab(aad)))).toBe(toHex(pt));
    }
  });

  it('bad tag: BAD_TAG; short input: DECRYPTION_FAILED; nonce must be 12 bytes', () => {
    const ct = aes256GcmSivEncrypt(key, nonce, randomBytes(10));
    ct[3]! ^= 0x80;
    const e = errorOf(() => aes256GcmSivDecrypt(key, nonce, ct));
    expect(e.code).toBe('BAD_TAG');
    expect(errorOf(() => aes256GcmSivDecrypt(key, nonce, new Uint8Array(8))).code).toBe('DECRYPTION_FAILED');
    expect(() => aes256GcmSivEncrypt(key, randomBytes(16), new Uint8Array(1))).toThrow(/AES-GCM-SIV nonce must be 12 bytes, got 16/);
    expect(() => aes256GcmSivEncrypt(randomBytes(16), nonce, new Uint8Array(1))).toThrow(InvalidKeyError);
  });
});
