import { describe, expect, it } from 'vitest';
import {
  accountLabel,
  decodeHandleValue,
  decodeIdentityValue,
  encodeHandleValue,
  encodeIdentityValue,
  handleLabel,
  normalizeHandle,
  parseLabel,
  uuidBytes,
  uuidString,
} from '../src/index.ts';
import { code } from './support/error-code.ts';

const expectKtError = (run: () => unknown, want: string) => expect(code(run)).toBe(want);

const id = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff';

describe('KT labels and values', () => {
  it('an account label is "a" and the 16 UUID bytes, and parses back', () => {
    const label = accountLabel(id);
    expect(label.length).toBe(17);
    expect(label[0]).toBe(0x61);
    expect(Buffer.from(label.subarray(1)).toString('hex')).toBe(id.replaceAll('-', ''));
    expect(parseLabel(label)).toEqual({ kind: 'account', accountId: id });
    expect(uuidString(uuidBytes(id))).toBe(id);
  });

  it('a handle is normalized: "@Bob.Smith" and "bob.smith" give one label', () => {
    expect(normalizeHandle('@Bob.Smith')).toBe('bob.smith');
    expect(handleLabel('@Bob.Smith')).toEqual(handleLabel('bob.smith'));
    expect(parseLabel(handleLabel('@bob_1'))).toEqual({ kind: 'handle', handle: 'bob_1' });
  });

  it('refuses handles outside the alphabet or length, and malformed labels', () => {
    for (const bad of ['ab', 'x'.repeat(33), '.bob', 'bob.', 'bo b', 'böb', '@', '']) expectKtError(() => normalizeHandle(bad), 'INVALID_ARGUMENT');
    expectKtError(() => accountLabel('0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0FF'), 'INVALID_ARGUMENT');
    expectKtError(() => parseLabel(new Uint8Array([0x61, 1, 2])), 'MALFORMED');
    expectKtError(() => parseLabel(new Uint8Array([0x68, 0xff, 0xfe, 0x41])), 'MALFORMED');
    expectKtError(() => parseLabel(new Uint8Array([0x7a, 1])), 'MALFORMED');
  });

  it('values round-trip and are checked strictly', () => {
    const key = new Uint8Array(33).fill(7);
    key[0] = 0x05;
    const value = encodeIdentityValue(key);
    expect(value[0]).toBe(1);
    expect(decodeIdentityValue(value)).toEqual(key);
    expect(decodeHandleValue(encodeHandleValue(id))).toBe(id);
    expectKtError(() => decodeIdentityValue(value.subarray(1)), 'MALFORMED');
    expectKtError(() => decodeIdentityValue(Uint8Array.of(2, ...key)), 'MALFORMED');
    expectKtError(() => decodeHandleValue(new Uint8Array(17)), 'MALFORMED');
    expectKtError(() => encodeIdentityValue(new Uint8Array(33)), 'INVALID_ARGUMENT');
  });
});
