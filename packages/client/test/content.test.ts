import { describe, expect, it } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { ContentSchema } from '../src/gen/content_pb.ts';
import { CONTENT_VERSION, decodeContent, encodeContent } from '../src/content.ts';
import { ClientError } from '../src/errors.ts';

describe('content payload', () => {
  it('round-trips text, reply-to, reaction, transcript and profile key', () => {
    const profileKey = new Uint8Array(32).fill(7);
    const original = {
      timestamp: 1_763_000_000_123,
      messageId: 'm-1',
      text: 'héllo 👋',
      replyTo: { author: 'acct-a', timestamp: 1_763_000_000_000 },
      reaction: { emoji: '🏳️‍🌈', target: { author: 'acct-b', timestamp: 5, messageId: 'x' } },
      sentTranscript: { destination: 'acct-c' },
      profileKey,
    };
    const bytes = encodeContent(original);
    expect(decodeContent(bytes)).toEqual({ ...original, version: CONTENT_VERSION });
    // The wire form is the generated protobuf: field values visible through the schema.
    const raw = fromBinary(ContentSchema, bytes);
    expect(raw.version).toBe(1);
    expect(raw.timestamp).toBe(1_763_000_000_123n);
    expect(raw.reaction?.emoji).toBe('🏳️‍🌈');
  });

  it('keeps a pure reaction without text and a reaction removal', () => {
    const bytes = encodeContent({ timestamp: 10, reaction: { emoji: '👍', target: { author: 'a', timestamp: 9 }, remove: true } });
    const decoded = decodeContent(bytes);
    expect(decoded.text).toBeUndefined();
    expect(decoded.reaction).toEqual({ emoji: '👍', target: { author: 'a', timestamp: 9 }, remove: true });
  });

  it('rejects garbage, missing version/timestamp and bad fields with INVALID_DATA', () => {
    const codes: string[] = [];
    const attempts: (() => unknown)[] = [
      () => decodeContent(Uint8Array.of(0xff, 0xff, 0xff)),
      () => decodeContent(new Uint8Array(0)),
      () => decodeContent(encodeContent({ timestamp: 0 })),
      () => encodeContent({ timestamp: -1 }),
      () => encodeContent({ timestamp: 1.5 }),
      () => encodeContent({ timestamp: 1, reaction: { emoji: '', target: { author: 'a', timestamp: 1 } } }),
      () => encodeContent({ timestamp: 1, replyTo: { author: '', timestamp: 1 } }),
      () => encodeContent({ timestamp: 1, profileKey: new Uint8Array(31) }),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
        codes.push('none');
      } catch (e) {
        codes.push(e instanceof ClientError ? e.code : 'other');
      }
    }
    expect(codes).toEqual(Array(attempts.length).fill('INVALID_DATA'));
  });

  it('decodes a newer version, listing the fields it does not know (issue 18: kept and reported, not dropped)', () => {
    // Field 99 (unknown) appended to a version-2 payload.
    const bytes = Uint8Array.from([...encodeContent({ version: 2, timestamp: 3, text: 'hi' }), 0x9a, 0x06, 0x01, 0x41]);
    expect(decodeContent(bytes)).toEqual({ version: 2, timestamp: 3, text: 'hi', unknownFields: [99] });
  });
});
