/**
 * The application payload inside the encryption: a versioned protobuf
 * `Content` (packages/client/proto/content.proto) with text, timestamp,
 * reply-to, reaction and sent-transcript fields.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ContentSchema, GroupContextSchema, MessageReferenceSchema, ReactionSchema, SentTranscriptSchema } from './gen/content_pb.ts';
import { historyTransferFromProto, historyTransferToProto, type HistoryTransferFields } from './history-transfer/content-fields.ts';
import { ClientError } from './errors.ts';
import { receiptFromProto, receiptToProto, type ReceiptContent } from './receipts/receipt-codec.ts';
import { typingFromProto, typingToProto, type TypingContent } from './receipts/typing-codec.ts';
import { expireTimerFromProto, expireTimerToProto, type ExpireTimerContent } from './disappearing/timer-codec.ts';
import { readSyncFromProto, readSyncToProto, type ReadSyncContent } from './conversations/read-sync-codec.ts';
import { pointerFromProto, pointerToProto, previewFromProto, previewToProto, type AttachmentPointer, type LinkPreview } from './attachments/pointer.ts';
import { decodeEditFields, encodeEditFields } from './edits/edit-codec.ts';
import type { DeleteFields, EditFields, Extension } from './edits/types.ts';

/** The payload version this SDK writes. */
export const CONTENT_VERSION = 1;

/** A pointer to an earlier message: its author plus the author's timestamp (or an app-chosen id). */
export interface MessageRef {
  /** Account id of the referenced message's author. */
  author: string;
  /** The referenced message's sender timestamp, ms. */
  timestamp: number;
  /** App-chosen id of the referenced message, if the app uses its own ids. */
  messageId?: string;
}

/** A reaction to an earlier message. */
export interface Reaction {
  /** Any emoji, as text. */
  emoji: string;
  /** The message reacted to. */
  target: MessageRef;
  /** True to withdraw an earlier reaction with this emoji. */
  remove?: boolean;
}

/** A decoded application message. */
export interface MessageContent {
  /** Payload version it was written with. */
  version: number;
  /** Sender's timestamp, ms since epoch. */
  timestamp: number;
  /** App-chosen message id, if any. */
  messageId?: string;
  /** Text (absent or empty for a pure reaction). */
  text?: string;
  /** The message this one replies to. */
  replyTo?: MessageRef;
  /** A reaction. */
  reaction?: Reaction;
  /** Present on a sync copy of our own message sent from another of our devices. */
  sentTranscript?: { destination: string };
  /** The sender's profile key (32 bytes), shared so the recipient can reply. */
  profileKey?: Uint8Array;
  /** Encrypted attachments (download them with `AttachmentClient.download`). */
  attachments?: AttachmentPointer[];
  /** Link previews the sender made. */
  previews?: LinkPreview[];
  /** The group (and its state) this message belongs to. */
  group?: GroupContextFields;
  /** Serialized signed group changes, oldest first. */
  groupChanges?: Uint8Array[];
  /** A SenderKeyDistributionMessage of the sender's device. */
  senderKeyDistribution?: Uint8Array;
  /** Asks for the group changes after `group.epoch`. */
  groupStateRequest?: boolean;
  /** A delivery or read receipt for earlier messages (not a chat message; never stored as one). */
  receipt?: ReceiptContent;
  /** A typing indicator (not a chat message; never stored). */
  typing?: TypingContent;
  /** Edit for everyone (src/edits/): a new text for an earlier message of the same author. */
  edit?: EditFields;
  /** Delete for everyone; on a stored message, marks it as a tombstone. */
  delete?: DeleteFields;
  /** App-defined payloads, delivered untouched. */
  extensions?: Extension[];
  /** Field numbers of `Content` this SDK does not know (a newer client's); the stored bytes keep them. Read only. */
  unknownFields?: number[];
  /** The conversation's disappearing-messages timer as the sender knows it (`update`: this message changes it). */
  expireTimer?: ExpireTimerContent;
  /** Messages this account read on another of its devices (own devices only; not a chat message). */
  readSync?: ReadSyncContent;
  /** History transfer between two devices of this account (field 24; history-transfer/). */
  historyTransfer?: HistoryTransferFields;
}

/** Which group and which of its states a message belongs to. */
export interface GroupContextFields {
  /** 32-byte group id. */
  id: Uint8Array;
  epoch: number;
  /** SHA-256 of the serialized group change of `epoch`. */
  stateHash: Uint8Array;
}

/** Largest timestamp accepted (ms); keeps values exactly representable as JS numbers. */
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;

function checkTimestamp(name: string, t: number): bigint {
  if (!Number.isSafeInteger(t) || t < 0 || t > MAX_TIMESTAMP) {
    throw new ClientError('INVALID_DATA', `${name} must be a non-negative integer number of ms, got ${t}`);
  }
  return BigInt(t);
}

function toRef(name: string, ref: MessageRef) {
  if (typeof ref.author !== 'string' || ref.author.length === 0) throw new ClientError('INVALID_DATA', `${name}.author must be a non-empty account id`);
  return create(MessageReferenceSchema, {
    author: ref.author,
    timestamp: checkTimestamp(`${name}.timestamp`, ref.timestamp),
    messageId: ref.messageId ?? '',
  });
}

function fromRef(ref: { author: string; timestamp: bigint; messageId: string }): MessageRef {
  const out: MessageRef = { author: ref.author, timestamp: Number(ref.timestamp) };
  if (ref.messageId !== '') out.messageId = ref.messageId;
  return out;
}

/** Encodes a payload (version defaults to `CONTENT_VERSION`). Invalid fields throw `INVALID_DATA`. */
export function encodeContent(content: Omit<MessageContent, 'version'> & { version?: number }): Uint8Array {
  const message = create(ContentSchema, {
    version: content.version ?? CONTENT_VERSION,
    timestamp: checkTimestamp('timestamp', content.timestamp),
    messageId: content.messageId ?? '',
    text: content.text ?? '',
  });
  if (content.replyTo !== undefined) message.replyTo = toRef('replyTo', content.replyTo);
  if (content.reaction !== undefined) {
    if (typeof content.reaction.emoji !== 'string' || content.reaction.emoji.length === 0) {
      throw new ClientError('INVALID_DATA', 'reaction.emoji must be a non-empty string');
    }
    message.reaction = create(ReactionSchema, {
      emoji: content.reaction.emoji,
      target: toRef('reaction.target', content.reaction.target),
      remove: content.reaction.remove ?? false,
    });
  }
  if (content.sentTranscript !== undefined) message.sentTranscript = create(SentTranscriptSchema, { destination: content.sentTranscript.destination });
  if (content.profileKey !== undefined) {
    if (!(content.profileKey instanceof Uint8Array) || content.profileKey.length !== 32) {
      throw new ClientError('INVALID_DATA', 'profileKey must be 32 bytes');
    }
    message.profileKey = content.profileKey;
  }
  if (content.attachments !== undefined) message.attachments = content.attachments.map((a) => pointerToProto(a));
  if (content.previews !== undefined) message.previews = content.previews.map(previewToProto);
  if (content.group !== undefined) {
    message.group = create(GroupContextSchema, { groupId: content.group.id, epoch: checkTimestamp('group.epoch', content.group.epoch), stateHash: content.group.stateHash });
  }
  if (content.groupChanges !== undefined) message.groupChanges = content.groupChanges;
  if (content.senderKeyDistribution !== undefined) message.senderKeyDistributionMessage = content.senderKeyDistribution;
  if (content.groupStateRequest === true) message.groupStateRequest = true;
  if (content.receipt !== undefined) message.receipt = receiptToProto(content.receipt, { toRef });
  if (content.typing !== undefined) message.typing = typingToProto(content.typing);
  encodeEditFields(message, content, { toRef, fromRef });
  if (content.expireTimer !== undefined) expireTimerToProto(content.expireTimer, message);
  if (content.readSync !== undefined) message.readSync = readSyncToProto(content.readSync, { toRef });
  if (content.historyTransfer !== undefined) message.historyTransfer = historyTransferToProto(content.historyTransfer);
  return toBinary(ContentSchema, message);
}

/**
 * Decodes a payload. Bytes that are not a `Content` protobuf, or a payload
 * without version/timestamp, throw `INVALID_DATA`. Fields of a newer version
 * that this SDK does not know are listed in `unknownFields` (the bytes, as
 * stored, keep them).
 */
export function decodeContent(bytes: Uint8Array): MessageContent {
  let m;
  try {
    m = fromBinary(ContentSchema, bytes);
  } catch (e) {
    throw new ClientError('INVALID_DATA', `payload is not a Content protobuf: ${(e as Error).message}`, { cause: e });
  }
  if (m.version === 0) throw new ClientError('INVALID_DATA', 'payload has no version');
  if (m.timestamp === 0n || m.timestamp > BigInt(MAX_TIMESTAMP)) throw new ClientError('INVALID_DATA', 'payload has no valid timestamp');
  const out: MessageContent = { version: m.version, timestamp: Number(m.timestamp) };
  if (m.messageId !== '') out.messageId = m.messageId;
  if (m.text !== '') out.text = m.text;
  if (m.replyTo !== undefined) out.replyTo = fromRef(m.replyTo);
  if (m.reaction !== undefined && m.reaction.target !== undefined) {
    out.reaction = { emoji: m.reaction.emoji, target: fromRef(m.reaction.target) };
    if (m.reaction.remove) out.reaction.remove = true;
  }
  if (m.sentTranscript !== undefined) out.sentTranscript = { destination: m.sentTranscript.destination };
  if (m.profileKey.length === 32) out.profileKey = m.profileKey;
  if (m.attachments.length > 0) out.attachments = m.attachments.map((a) => pointerFromProto(a));
  if (m.previews.length > 0) out.previews = m.previews.map(previewFromProto);
  if (m.group !== undefined) {
    if (m.group.epoch > BigInt(MAX_TIMESTAMP)) throw new ClientError('INVALID_DATA', 'group epoch out of range');
    out.group = { id: m.group.groupId, epoch: Number(m.group.epoch), stateHash: m.group.stateHash };
  }
  if (m.groupChanges.length > 0) out.groupChanges = m.groupChanges;
  if (m.senderKeyDistributionMessage.length > 0) out.senderKeyDistribution = m.senderKeyDistributionMessage;
  if (m.groupStateRequest) out.groupStateRequest = true;
  if (m.receipt !== undefined) out.receipt = receiptFromProto(m.receipt, { fromRef });
  if (m.typing !== undefined) out.typing = typingFromProto(m.typing);
  decodeEditFields(m, out, { toRef, fromRef });
  const expireTimer = expireTimerFromProto(m);
  if (expireTimer !== undefined) out.expireTimer = expireTimer;
  if (m.readSync !== undefined) out.readSync = readSyncFromProto(m.readSync, { fromRef });
  if (m.historyTransfer !== undefined) out.historyTransfer = historyTransferFromProto(m.historyTransfer);
  return out;
}
