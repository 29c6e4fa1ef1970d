/**
 * The `Receipt` part of a `Content` (proto/content.proto): a delivery or read
 * receipt naming, in one message, many earlier messages by author and
 * timestamp. Bounded: at most `MAX_RECEIPT_TARGETS` references.
 */
import { create } from '@bufbuild/protobuf';
import { ReceiptSchema, Receipt_Type, type Receipt as ReceiptProto } from '../gen/content_pb.ts';
import { ClientError } from '../errors.ts';
import type { MessageRef } from '../content.ts';

/** What a receipt says about its targets. */
export type ReceiptType = 'delivery' | 'read';

/** A delivery or read receipt for earlier messages. */
export interface ReceiptContent {
  type: ReceiptType;
  /** The messages delivered / read (at least one). */
  targets: MessageRef[];
}

/** Most message references one receipt may carry (a larger batch is split by the sender). */
export const MAX_RECEIPT_TARGETS = 500;

type RefCodec<P> = { toRef: (name: string, ref: MessageRef) => P; fromRef: (ref: P) => MessageRef };

/** The protobuf form of `receipt`; throws `INVALID_DATA` for an empty or oversized batch. */
export function receiptToProto<P extends ReceiptProto['targets'][number]>(receipt: ReceiptContent, codec: Pick<RefCodec<P>, 'toRef'>): ReceiptProto {
  if (receipt.type !== 'delivery' && receipt.type !== 'read') throw new ClientError('INVALID_DATA', `receipt.type must be 'delivery' or 'read'`);
  checkCount(receipt.targets.length);
  return create(ReceiptSchema, {
    type: receipt.type === 'read' ? Receipt_Type.READ : Receipt_Type.DELIVERY,
    targets: receipt.targets.map((t, i) => codec.toRef(`receipt.targets[${i}]`, t)),
  });
}

/** The receipt a decoded `Receipt` carries; throws `INVALID_DATA` for an unknown type or a bad batch. */
export function receiptFromProto(m: ReceiptProto, codec: Pick<RefCodec<ReceiptProto['targets'][number]>, 'fromRef'>): ReceiptContent {
  if (m.type !== Receipt_Type.DELIVERY && m.type !== Receipt_Type.READ) throw new ClientError('INVALID_DATA', `unknown receipt type ${m.type}`);
  checkCount(m.targets.length);
  return { type: m.type === Receipt_Type.READ ? 'read' : 'delivery', targets: m.targets.map((t) => codec.fromRef(t)) };
}

function checkCount(n: number): void {
  if (n === 0) throw new ClientError('INVALID_DATA', 'a receipt must name at least one message');
  if (n > MAX_RECEIPT_TARGETS) throw new ClientError('INVALID_DATA', `a receipt names at most ${MAX_RECEIPT_TARGETS} messages, got ${n}`);
}
