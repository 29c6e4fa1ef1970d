import { describe, expect, it } from 'vitest';
import { create, toBinary } from '@bufbuild/protobuf';
import { ContentSchema, TypingSchema, type Typing_Action } from '../../src/gen/content_pb.ts';
import { decodeContent, encodeContent } from '../../src/content.ts';

const wire = (typing: ReturnType<typeof create<typeof TypingSchema>>) => toBinary(ContentSchema, create(ContentSchema, { version: 1, timestamp: 5n, typing }));
const groupId = new Uint8Array(32).fill(7);

describe('typing content (field 16)', () => {
  it('round-trips started and stopped, 1:1 and in a group', () => {
    for (const action of ['started', 'stopped'] as const) {
      expect(decodeContent(encodeContent({ timestamp: 5, typing: { action, timestamp: 9 } }))).toEqual({ version: 1, timestamp: 5, typing: { action, timestamp: 9 } });
      expect(decodeContent(encodeContent({ timestamp: 5, typing: { action, timestamp: 9, groupId } }))).toEqual({ version: 1, timestamp: 5, typing: { action, timestamp: 9, groupId } });
    }
  });

  it('refuses an unknown action, a missing or oversized timestamp and a bad group id with INVALID_DATA on both sides', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_DATA' });
    expect(() => encodeContent({ timestamp: 5, typing: { action: 'paused' as 'started', timestamp: 9 } })).toThrow(invalid);
    expect(() => encodeContent({ timestamp: 5, typing: { action: 'started', timestamp: 0 } })).toThrow(invalid);
    expect(() => encodeContent({ timestamp: 5, typing: { action: 'started', timestamp: 1.5 } })).toThrow(invalid);
    expect(() => encodeContent({ timestamp: 5, typing: { action: 'started', timestamp: 9, groupId: new Uint8Array(31) } })).toThrow(invalid);
    expect(() => decodeContent(wire(create(TypingSchema, { action: 2 as Typing_Action, timestamp: 9n })))).toThrow(/unknown typing action 2/);
    expect(() => decodeContent(wire(create(TypingSchema, { action: 0, timestamp: 9n })))).not.toThrow();
    expect(() => decodeContent(wire(create(TypingSchema, { action: -1 as Typing_Action, timestamp: 9n })))).toThrow(invalid);
    expect(() => decodeContent(wire(create(TypingSchema, { action: 0, timestamp: 0n })))).toThrow(/no valid timestamp/);
    expect(() => decodeContent(wire(create(TypingSchema, { action: 0, timestamp: BigInt(Number.MAX_SAFE_INTEGER) + 1n })))).toThrow(invalid);
    expect(() => decodeContent(wire(create(TypingSchema, { action: 1, timestamp: 9n, groupId: new Uint8Array(33) })))).toThrow(/32 bytes/);
  });
});
