/**
 * The `ReadSync` part of a `Content` (proto/content.proto, field 17): the
 * messages this account read on one of its devices, sent to its other
 * devices so they mark the same messages read. Bounded like a receipt: at
 * most `MAX_READ_SYNC_REFS` references per message (a larger batch is split
 * by the sender).
 */
import { create } from '@bufbuild/protobuf';
import { ReadSyncSchema, type ReadSync as ReadSyncProto } from '../gen/content_pb.ts';
import { ClientError } from '../errors.ts';
import type { MessageRef } from '../content.ts';

/** Messages read on another device of this account. */
export interface ReadSyncContent {
  /** The messages read (at least one), by author and the author's timestamp. */
  read: MessageRef[];
}

/** Most message references one read sync may carry. */
export const MAX_READ_SYNC_REFS = 500;

type Ref = ReadSyncProto['read'][number];

/** The protobuf form of `sync`; throws `INVALID_DATA` for an empty or oversized batch. */
export function readSyncToProto(sync: ReadSyncContent, codec: { toRef: (name: string, ref: MessageRef) => Ref }): ReadSyncProto {
  checkCount(sync.read.length);
  return create(ReadSyncSchema, { read: sync.read.map((r, i) => codec.toRef(`readSync.read[${i}]`, r)) });
}

/** The read sync a decoded `ReadSync` carries; throws `INVALID_DATA` for a bad batch. */
export function readSyncFromProto(m: ReadSyncProto, codec: { fromRef: (ref: Ref) => MessageRef }): ReadSyncContent {
  checkCount(m.read.length);
  return { read: m.read.map((r) => codec.fromRef(r)) };
}

function checkCount(n: number): void {
  if (n === 0) throw new ClientError('INVALID_DATA', 'a read sync must name at least one message');
  if (n > MAX_READ_SYNC_REFS) throw new ClientError('INVALID_DATA', `a read sync names at most ${MAX_READ_SYNC_REFS} messages, got ${n}`);
}
