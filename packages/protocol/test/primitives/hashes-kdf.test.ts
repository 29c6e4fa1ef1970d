import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hkdf as libsignalHkdf } from '@signalapp/libsignal-client';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  HKDF_SHA256_MAX_LENGTH,
  fromHex,
  hkdfSha256,
  hmacSha256,
  randomBytes,
  sha256,
  sha3_256,
  sha512,
  shake256,
  toHex,
} from '../../src/primitives/index.ts';

describe('hashes', () => {
  it('compute SHA-256/512 and SHA3-256/SHAKE256 of "abc" (FIPS 180-4 / FIPS 202 examples)', () => {
    const abc = new TextEncoder().encode('abc');
    expect(toHex(sha256(abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha512(abc)).slice(0, 32)).toBe('ddaf35a193617abacc417349ae204131');
    expect(toHex(sha3_256(abc))).toBe('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532');
    expect(shake256(50, abc)).toHaveLength(50);
    // Multi-part input is concatenation.
    expect(sha256(abc.subarray(0, 1), abc.subarray(1))).toEqual(sha256(abc));
    expect(shake256(32, abc.subarray(0, 2), abc.subarray(2))).toEqual(shake256(32, abc));
  });

  it('reject non-byte inputs', () => {
    expect(() => sha256('abc' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => shake256(-1, new Uint8Array(1))).toThrow(/SHAKE256 output length/);
  });
});

describe('hkdfSha256', () => {
  it('matches an independent HKDF (@noble/hashes) on random inputs, incl. >1024-byte info (the HMAC path)', () => {
    for (const infoLength of [0, 1, 17, 1024, 1025, 3000]) {
      const ikm = randomBytes(40);
      const salt = randomBytes(infoLength % 2 === 0 ? 32 : 0);
      const info = randomBytes(infoLength);
      for (const length of [1, 32, 80, 255 * 32]) {
        expect(toHex(hkdfSha256(ikm, salt, info, length))).toBe(toHex(nobleHkdf(nobleSha256, ikm, salt, info, length)));
      }
    }
  });

  it('matches libsignal-client hkdf (empty salt = null salt)', () => {
    const ab = (b: Uint8Array): Uint8Array<ArrayBuffer> => {
      const out = new Uint8Array(new ArrayBuffer(b.length));
      out.set(b);
      return out;
    };
    for (let i = 0; i < 20; i++) {
      const ikm = randomBytes(32 + i);
      const info = randomBytes(i * 3);
      const salt = i % 3 === 0 ? new Uint8Array(0) : randomBytes(32);
      const length = 16 + i * 8;
      const theirs = libsignalHkdf(length, ab(ikm), ab(info), salt.length === 0 ? null : ab(salt));
      expect(toHex(hkdfSha256(ikm, salt, info, length))).toBe(toHex(theirs));
    }
  });

  it('returns an empty array for length 0 and refuses lengths above 255*32', () => {
    expect(hkdfSha256(new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 0)).toHaveLength(0);
    expect(HKDF_SHA256_MAX_LENGTH).toBe(8160);
    expect(() => hkdfSha256(new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 8161)).toThrow(/output length must be 0..8160, got 8161/);
    expect(() => hkdfSha256(new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 1.5)).toThrow(InvalidArgumentError);
    expect(() => hkdfSha256(null as unknown as Uint8Array, new Uint8Array(0), new Uint8Array(0), 32)).toThrow(/HKDF ikm must be a Uint8Array, got null/);
  });
});

describe('hmacSha256', () => {
  it('computes RFC 4231 test case 2', () => {
    const mac = hmacSha256(new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'));
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('accepts an empty key and rejects non-bytes', () => {
    expect(hmacSha256(new Uint8Array(0), fromHex('00'))).toHaveLength(32);
    expect(() => hmacSha256(undefined as unknown as Uint8Array, new Uint8Array(0))).toThrow(InvalidArgumentError);
  });
});
