/**
 * The `Typing` part of a `Content` (proto/content.proto, field 16): a typing
 * indicator, started or stopped, in a 1:1 conversation or a group (its
 * 32-byte id). Never stored; see receipts/typing.ts.
 */
import { create } from '@bufbuild/protobuf';
import { TypingSchema, Typing_Action, type Typing as TypingProto } from '../gen/content_pb.ts';
import { ClientError } from '../errors.ts';

/** What a typing indicator says. */
export type TypingAction = 'started' | 'stopped';

/** A typing indicator. */
export interface TypingContent {
  action: TypingAction;
  /** When the sender's user started / stopped typing, ms. */
  timestamp: number;
  /** The group it is typed in (32 bytes); absent for a 1:1 conversation. */
  groupId?: Uint8Array;
}

const GROUP_ID_BYTES = 32;

function checkGroupId(id: Uint8Array): void {
  if (id.length !== GROUP_ID_BYTES) throw new ClientError('INVALID_DATA', `typing.groupId must be ${GROUP_ID_BYTES} bytes, got ${id.length}`);
}

/** The protobuf form of `typing`; throws `INVALID_DATA` for an unknown action, a bad timestamp or group id. */
export function typingToProto(typing: TypingContent): TypingProto {
  if (typing.action !== 'started' && typing.action !== 'stopped') throw new ClientError('INVALID_DATA', `typing.action must be 'started' or 'stopped'`);
  if (!Number.isSafeInteger(typing.timestamp) || typing.timestamp <= 0) throw new ClientError('INVALID_DATA', `typing.timestamp must be a positive integer number of ms`);
  if (typing.groupId !== undefined) checkGroupId(typing.groupId);
  return create(TypingSchema, {
    action: typing.action === 'stopped' ? Typing_Action.STOPPED : Typing_Action.STARTED,
    timestamp: BigInt(typing.timestamp),
    groupId: typing.groupId ?? new Uint8Array(0),
  });
}

/** The typing indicator a decoded `Typing` carries; throws `INVALID_DATA` for an unknown action, a missing or oversized timestamp, or a group id that is not 32 bytes. */
export function typingFromProto(m: TypingProto): TypingContent {
  if (m.action !== Typing_Action.STARTED && m.action !== Typing_Action.STOPPED) throw new ClientError('INVALID_DATA', `unknown typing action ${m.action}`);
  if (m.timestamp === 0n || m.timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new ClientError('INVALID_DATA', 'typing indicator has no valid timestamp');
  const out: TypingContent = { action: m.action === Typing_Action.STOPPED ? 'stopped' : 'started', timestamp: Number(m.timestamp) };
  if (m.groupId.length > 0) {
    checkGroupId(m.groupId);
    out.groupId = m.groupId;
  }
  return out;
}
