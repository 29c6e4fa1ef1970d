/**
 * Content field 24 (`HistoryTransfer`): the request a newly linked device
 * sends its own account and the answer (archive pointer, or a decline) its
 * primary sends that device alone. Encoded and strictly decoded here.
 */
import { create } from '@bufbuild/protobuf';
import { HistoryTransferSchema, type HistoryTransfer } from '../gen/content_pb.ts';
import { pointerFromProto, pointerToProto, type AttachmentPointer } from '../attachments/pointer.ts';
import { ClientError } from '../errors.ts';

/** Length of a transfer id, bytes. */
export const HISTORY_TRANSFER_ID_LENGTH = 16;

/** The fields of a `HistoryTransfer` as the client uses them. */
export interface HistoryTransferFields {
  /** 16 bytes: the offer the provisioning message named. */
  transferId: Uint8Array;
  /** The new device asks for the offered history. */
  request?: boolean;
  /** The primary's answer: the encrypted archive. */
  archive?: AttachmentPointer;
  /** Rows and conversations in the archive. */
  messageCount?: number;
  conversationCount?: number;
  /** The primary will not send history for this offer. */
  declined?: boolean;
}

function bad(message: string): never {
  throw new ClientError('INVALID_DATA', `history transfer: ${message}`);
}

export function historyTransferToProto(f: HistoryTransferFields): HistoryTransfer {
  if (!(f.transferId instanceof Uint8Array) || f.transferId.length !== HISTORY_TRANSFER_ID_LENGTH) bad(`transferId must be ${HISTORY_TRANSFER_ID_LENGTH} bytes`);
  for (const n of [f.messageCount, f.conversationCount]) if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > 0xffffffff)) bad('counts must be 32-bit unsigned integers');
  const m = create(HistoryTransferSchema, {
    transferId: f.transferId,
    request: f.request === true,
    messageCount: f.messageCount ?? 0,
    conversationCount: f.conversationCount ?? 0,
    declined: f.declined === true,
  });
  if (f.archive !== undefined) m.archive = pointerToProto(f.archive);
  return m;
}

export function historyTransferFromProto(m: HistoryTransfer): HistoryTransferFields {
  if (m.transferId.length !== HISTORY_TRANSFER_ID_LENGTH) bad(`transfer id must be ${HISTORY_TRANSFER_ID_LENGTH} bytes`);
  const out: HistoryTransferFields = { transferId: m.transferId.slice() };
  if (m.request) out.request = true;
  if (m.declined) out.declined = true;
  if (m.archive !== undefined) {
    out.archive = pointerFromProto(m.archive);
    out.messageCount = m.messageCount;
    out.conversationCount = m.conversationCount;
  }
  return out;
}
