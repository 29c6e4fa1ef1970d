import { describe, expect, it } from 'vitest';
import { create, toBinary } from '@bufbuild/protobuf';
import { ContentSchema, ReceiptSchema, type Receipt_Type } from '../src/gen/content_pb.ts';
import { decodeContent, encodeContent } from '../src/content.ts';
import { MAX_RECEIPT_TARGETS } from '../src/receipts/receipt-codec.ts';

const ref = (i: number) => ({ author: 'acct-a', timestamp: 1_000 + i });

describe('receipt content', () => {
  it('round-trips a batched delivery and read receipt', () => {
    for (const type of ['delivery', 'read'] as const) {
      const targets = [ref(1), { ...ref(2), messageId: 'm2' }, { author: 'acct-b', timestamp: 7 }];
      expect(decodeContent(encodeContent({ timestamp: 5, receipt: { type, targets } }))).toEqual({ version: 1, timestamp: 5, receipt: { type, targets } });
    }
  });

  it('refuses empty, oversized and unknown-type receipts with INVALID_DATA on both sides', () => {
    expect(() => encodeContent({ timestamp: 5, receipt: { type: 'read', targets: [] } })).toThrow(expect.objectContaining({ code: 'INVALID_DATA' }));
    const many = Array.from({ length: MAX_RECEIPT_TARGETS + 1 }, (_, i) => ref(i));
    expect(() => encodeContent({ timestamp: 5, receipt: { type: 'read', targets: many } })).toThrow(/at most 500/);
    expect(encodeContent({ timestamp: 5, receipt: { type: 'read', targets: many.slice(1) } }).length).toBeGreaterThan(0);
    expect(() => encodeContent({ timestamp: 5, receipt: { type: 'seen' as 'read', targets: [ref(1)] } })).toThrow(expect.objectContaining({ code: 'INVALID_DATA' }));
    const wire = (receipt: ReturnType<typeof create<typeof ReceiptSchema>>) => toBinary(ContentSchema, create(ContentSchema, { version: 1, timestamp: 5n, receipt }));
    expect(() => decodeContent(wire(create(ReceiptSchema, { type: 0, targets: [] })))).toThrow(/at least one message/);
    expect(() => decodeContent(wire(create(ReceiptSchema, { type: 7 as Receipt_Type, targets: [{ author: 'a', timestamp: 1n }] })))).toThrow(/unknown receipt type 7/);
    const tooMany = create(ReceiptSchema, { type: 1, targets: many.map((r) => ({ author: r.author, timestamp: BigInt(r.timestamp) })) });
    expect(() => decodeContent(wire(tooMany))).toThrow(expect.objectContaining({ code: 'INVALID_DATA' }));
  });
});
