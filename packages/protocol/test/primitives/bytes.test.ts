/**
 * The project's one set of byte helpers (src/primitives/bytes.ts), checked
 * against Node's Buffer codecs on random inputs and against the strictness
 * rules Buffer does not have (padding required, junk refused, canonical
 * final character).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  concatBytes,
  equalBytes,
  fromBase64,
  fromBase64Url,
  fromHex,
  isCanonicalUuid,
  toBase64,
  toBase64Url,
  toHex,
  utf8Decode,
  utf8Encode,
  uuidFromBytes,
  uuidToBytes,
} from '../../src/primitives/index.ts';

const samples = (): Uint8Array[] => Array.from({ length: 64 }, (_, n) => new Uint8Array(randomBytes(n)));

describe('byte helpers', () => {
  it('hex round-trips and matches Buffer; refuses odd length and non-hex digits', () => {
    for (const b of samples()) {
      expect(toHex(b)).toBe(Buffer.from(b).toString('hex'));
      expect(fromHex(toHex(b))).toEqual(b);
      expect(fromHex(toHex(b).toUpperCase())).toEqual(b);
    }
    for (const bad of ['0', 'abc', 'zz', '0g', ' 00', '00 ']) expect(() => fromHex(bad), bad).toThrow(InvalidArgumentError);
  });

  it('base64 (standard) round-trips and matches Buffer', () => {
    for (const b of samples()) {
      const text = Buffer.from(b).toString('base64');
      expect(toBase64(b)).toBe(text);
      expect(fromBase64(text)).toEqual(b);
    }
  });

  it('base64 (standard) is strict: padding required, junk and non-canonical endings refused', () => {
    expect(fromBase64('')).toEqual(new Uint8Array(0));
    expect(fromBase64('AA==')).toEqual(Uint8Array.of(0));
    const bad = ['AA', 'AA=', 'AAA', 'A===', '====', 'AB==', 'AAB=', 'AA==AA==', 'A A=', 'AA==\n', 'AA-_', '@@@@', 'AAAA=', 'AAÀA'];
    for (const text of bad) expect(() => fromBase64(text), text).toThrow(InvalidArgumentError);
    expect(() => fromBase64(42 as unknown as string)).toThrow(InvalidArgumentError);
  });

  it('base64url (unpadded) round-trips, matches Buffer and is strict', () => {
    for (const b of samples()) {
      const text = Buffer.from(b).toString('base64url');
      expect(toBase64Url(b)).toBe(text);
      expect(fromBase64Url(text)).toEqual(b);
    }
    for (const text of ['A', 'AA==', 'AB', 'AAB', 'AA+/', 'AA AA']) expect(() => fromBase64Url(text), text).toThrow(InvalidArgumentError);
  });

  it('equalBytes and concatBytes', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('UTF-8 encodes like Buffer and refuses malformed input', () => {
    const text = 'sealpost — ✓ 🔒';
    expect(utf8Encode(text)).toEqual(new Uint8Array(Buffer.from(text, 'utf8')));
    expect(utf8Decode(utf8Encode(text))).toBe(text);
    expect(() => utf8Decode(Uint8Array.of(0xc3))).toThrow(InvalidArgumentError);
  });

  it('UUIDs: 16 bytes both ways, canonical lower-case text', () => {
    const uuid = '9d0652a3-dcc3-4d11-975f-74d61598733f';
    const bytes = uuidToBytes(uuid);
    expect(toHex(bytes)).toBe(uuid.replaceAll('-', ''));
    expect(uuidFromBytes(bytes)).toBe(uuid);
    expect(uuidToBytes(uuid.toUpperCase())).toEqual(bytes);
    expect(isCanonicalUuid(uuid)).toBe(true);
    expect(isCanonicalUuid(uuid.toUpperCase())).toBe(false);
    for (const bad of ['', uuid.slice(1), `${uuid}0`, uuid.replaceAll('-', ''), `{${uuid}}`]) {
      expect(() => uuidToBytes(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => uuidFromBytes(new Uint8Array(15))).toThrow(InvalidArgumentError);
  });
});
