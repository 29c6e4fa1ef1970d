import { describe, expect, it } from 'vitest';
import { decodeVarint, deserializeMessage, encodeVarint, serializeMessage } from '../../src/spqr/message.ts';
import { hex, repoVectors, unhex } from './support.ts';

interface MsgVector {
  name: string;
  hex: string;
  epoch: string;
  index: number;
  type: string;
  chunkIndex?: number;
}
const V = repoVectors<{ messages: MsgVector[]; rejected: { name: string; hex: string }[] }>('spqr-messages.json');

describe('SPQR V1 message codec', () => {
  it('varints: 0x012C ↔ AC 02, u64 max in 10 bytes, bits past 64 dropped', () => {
    const out: number[] = [];
    encodeVarint(0x012cn, out);
    expect(out).toEqual([0xac, 0x02]);
    const max: number[] = [];
    encodeVarint((1n << 64n) - 1n, max);
    expect(max).toHaveLength(10);
    expect(decodeVarint(Uint8Array.from(max), 0)).toEqual({ value: (1n << 64n) - 1n, next: 10 });
    expect(decodeVarint(unhex('ffffffffffffffffff7f'), 0).value).toBe((1n << 64n) - 1n);
    expect(() => decodeVarint(unhex('ffffffffffffffffffff01'), 0)).toThrow(expect.objectContaining({ kind: 'MsgDecode' }));
  });

  for (const v of V.messages) {
    it(`round-trips ${v.name}`, () => {
      const { msg, index, consumed } = deserializeMessage(unhex(v.hex));
      expect(msg.epoch).toBe(BigInt(v.epoch));
      expect(index).toBe(v.index);
      expect(msg.payload.type).toBe(v.type);
      if (v.chunkIndex !== undefined) expect('chunk' in msg.payload && msg.payload.chunk.index).toBe(v.chunkIndex);
      expect(consumed).toBe(v.hex.length / 2);
      expect(hex(serializeMessage(msg, index))).toBe(v.hex);
    });
  }

  it('allows trailing bytes', () => {
    const r = deserializeMessage(unhex('01010100' + 'deadbeef'));
    expect(r.consumed).toBe(4);
    expect(r.msg.payload.type).toBe('none');
  });

  for (const v of V.rejected) {
    it(`rejects ${v.name} with MsgDecode`, () => {
      expect(() => deserializeMessage(unhex(v.hex))).toThrow(expect.objectContaining({ kind: 'MsgDecode', code: 'INVALID_MESSAGE' }));
    });
  }
});
