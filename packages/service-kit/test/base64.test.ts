import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '@sealpost/protocol/primitives';
import { base64Length, decodeBase64Field, encodeBase64, HttpError, parseBase64 } from '../src/index.ts';

describe('strict base64', () => {
  it('round-trips every length', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = encodeBase64(bytes);
      expect(text.length).toBe(base64Length(n));
      expect(parseBase64(text)).toEqual(bytes);
    }
  });

  it('encodes a subarray view, not its whole buffer', () => {
    const buf = Uint8Array.of(1, 2, 3, 4, 5);
    expect(encodeBase64(buf.subarray(1, 3))).toBe(encodeBase64(Uint8Array.of(2, 3)));
  });

  it('rejects missing padding, URL-safe letters, whitespace, junk and non-canonical trailing bits', () => {
    for (const bad of ['AQ', 'AQI', 'A', '-_8=', 'AQ==\n', ' AQ==', 'AQ=', 'AQ===', '!!!!', 'AB==', 'AQM=x', 'AQJ=']) {
      expect(parseBase64(bad), bad).toBeUndefined();
    }
    expect(parseBase64('')).toEqual(new Uint8Array(0));
    expect(parseBase64('AQ==')).toEqual(Uint8Array.of(1));
  });

  it('decodeBase64Field throws 400 BAD_BASE64 / BAD_LENGTH naming the field', () => {
    expect(decodeBase64Field('key', 'AQI=', 2)).toEqual(Uint8Array.of(1, 2));
    const bad = (() => {
      try {
        decodeBase64Field('identityKey', 'AB==');
      } catch (e) {
        return e;
      }
    })() as HttpError;
    expect(bad).toBeInstanceOf(HttpError);
    expect([bad.status, bad.code, bad.message]).toEqual([400, 'BAD_BASE64', 'identityKey is not canonical padded base64']);
    expect(() => decodeBase64Field('identityKey', 'AQI=', 33)).toThrow('identityKey must decode to 33 bytes, got 2');
  });

  it("agrees with the protocol's codec on every input tried", () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
    const texts: string[] = ['', '=', '==', 'A===', 'AA=A', 'AAA=', 'AB==', 'AQ==', 'AQ', '-_-_', 'ab+/', 'ab+/\n'];
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from({ length: next() % 40 }, () => next() & 0xff);
      const text = toBase64(bytes);
      expect(encodeBase64(bytes)).toBe(text);
      texts.push(text);
      // One changed character, one dropped, one appended.
      const at = text.length === 0 ? 0 : next() % text.length;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .';
      texts.push(text.slice(0, at) + alphabet[next() % alphabet.length] + text.slice(at + 1), text.slice(0, at) + text.slice(at + 1), text + 'A');
    }
    for (const text of texts) {
      let expected: Uint8Array | undefined;
      try {
        expected = fromBase64(text);
      } catch {
        expected = undefined;
      }
      expect(parseBase64(text), JSON.stringify(text)).toEqual(expected);
    }
  });
});
