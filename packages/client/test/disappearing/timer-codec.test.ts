import { describe, expect, it } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { decodeContent, encodeContent } from '../../src/content.ts';
import { ContentSchema } from '../../src/gen/content_pb.ts';
import { ClientError } from '../../src/errors.ts';

describe('expire timer in Content (fields 18–20)', () => {
  it('round-trips a timer, a timer change and no timer', () => {
    const carried = decodeContent(encodeContent({ timestamp: 5, text: 'hi', expireTimer: { seconds: 60, version: 3 } }));
    expect(carried.expireTimer).toEqual({ seconds: 60, version: 3 });
    expect(carried.text).toBe('hi');
    const update = decodeContent(encodeContent({ timestamp: 5, expireTimer: { seconds: 0, version: 4, update: true } }));
    expect(update.expireTimer).toEqual({ seconds: 0, version: 4, update: true });
    expect(decodeContent(encodeContent({ timestamp: 5, text: 'x' })).expireTimer).toBeUndefined();
    expect(decodeContent(encodeContent({ timestamp: 5, expireTimer: { seconds: 0xffffffff, version: 0 } })).expireTimer).toEqual({ seconds: 0xffffffff, version: 0 });
  });

  it('uses the field numbers the issue gave', () => {
    const bytes = encodeContent({ timestamp: 5, expireTimer: { seconds: 30, version: 2, update: true } });
    const m = fromBinary(ContentSchema, bytes);
    expect([m.expireTimer, m.expireTimerVersion, m.expireTimerUpdate]).toEqual([30, 2, true]);
    // Field 18 varint = tag 0x90 0x01; 19 = 0x98 0x01; 20 = 0xa0 0x01.
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toContain('90011e');
    expect(hex).toContain('980102');
    expect(hex).toContain('a00101');
  });

  it('refuses values outside uint32 with INVALID_DATA', () => {
    for (const bad of [{ seconds: -1, version: 0 }, { seconds: 1.5, version: 0 }, { seconds: 1, version: 2 ** 32 }, { seconds: Number.NaN, version: 1 }]) {
      let error: unknown;
      try {
        encodeContent({ timestamp: 5, expireTimer: bad });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientError).code).toBe('INVALID_DATA');
    }
  });
});
