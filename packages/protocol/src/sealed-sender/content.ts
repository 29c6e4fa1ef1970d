/**
 * `UnidentifiedSenderMessageContent` (USMC): what a sealed envelope hides —
 * the inner ciphertext, its type, the sender certificate, a content hint and
 * an optional group id. Wire form: libsignal's protobuf
 * `UnidentifiedSenderMessage.Message` (sealed_sender.proto), fields
 * type=1, senderCertificate=2, content=3, contentHint=4, groupId=5.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { strictWire } from '../wire/strict-wire.ts';
import { SEALED_CONTENT_WIRE } from '../wire/wire-schemas.ts';
import { InvalidArgumentError, InvalidSealedMessageError } from '../errors.ts';
import { checkBytes } from '../primitives/bytes.ts';

/**
 * Inner message types, numbered as libsignal's `CiphertextMessageType`
 * (what `UnidentifiedSenderMessageContent.msgType()` returns).
 */
export const SealedContentType = {
  /** A `SignalMessage` on an established session. */
  Whisper: 2,
  /** A `PreKeySignalMessage` that starts a session. */
  PreKey: 3,
  /** A group `SenderKeyMessage`. */
  SenderKey: 7,
  /** A `PlaintextContent` (e.g. a decryption-error notice). */
  Plaintext: 8,
} as const;
/** One of the `SealedContentType` values. */
export type SealedContentType = (typeof SealedContentType)[keyof typeof SealedContentType];

/** How the receiver should react if it cannot decrypt (libsignal's `ContentHint`). */
export const ContentHint = { Default: 0, Resendable: 1, Implicit: 2 } as const;

/** The fields of an `UnidentifiedSenderMessageContent`. */
export interface SealedContent {
  /** Inner message type (`SealedContentType`). */
  type: SealedContentType;
  /** Serialized `SenderCertificate` (protobuf bytes, as issued by the key server). */
  senderCertificate: Uint8Array;
  /** The inner ciphertext (a serialized Signal/PreKey/SenderKey message). */
  contents: Uint8Array;
  /** Content hint (0 = default, 1 = resendable, 2 = implicit, others kept as is). */
  contentHint?: number;
  /** Group id, omitted when absent or empty (as libsignal does). */
  groupId?: Uint8Array;
}

// The protobuf's own Type enum differs from CiphertextMessageType only for PreKey.
const PROTO_PREKEY = 1;

function toProtoType(type: number): number {
  switch (type) {
    case SealedContentType.PreKey:
      return PROTO_PREKEY;
    case SealedContentType.Whisper:
    case SealedContentType.SenderKey:
    case SealedContentType.Plaintext:
      return type;
    default:
      throw new InvalidArgumentError(`unknown sealed content type ${type}`);
  }
}

function fromProtoType(protoType: number): SealedContentType {
  switch (protoType) {
    case PROTO_PREKEY:
      return SealedContentType.PreKey;
    case SealedContentType.Whisper:
    case SealedContentType.SenderKey:
    case SealedContentType.Plaintext:
      return protoType;
    default:
      throw new InvalidSealedMessageError(`unknown inner message type ${protoType}`);
  }
}

/** Encodes a USMC exactly as libsignal 0.90 does (field order 1..5, defaults omitted). */
export function encodeSealedContent(content: SealedContent): Uint8Array {
  checkBytes('senderCertificate', content.senderCertificate);
  checkBytes('contents', content.contents);
  const hint = content.contentHint ?? ContentHint.Default;
  if (!Number.isInteger(hint) || hint < 0 || hint > 0x7fffffff) {
    throw new InvalidArgumentError(`contentHint must be a non-negative 31-bit integer, got ${hint}`);
  }
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int32(toProtoType(content.type));
  w.tag(2, WireType.LengthDelimited).bytes(content.senderCertificate);
  w.tag(3, WireType.LengthDelimited).bytes(content.contents);
  if (hint !== ContentHint.Default) w.tag(4, WireType.Varint).int32(hint);
  if (content.groupId !== undefined && checkBytes('groupId', content.groupId).length > 0) {
    w.tag(5, WireType.LengthDelimited).bytes(content.groupId);
  }
  return w.finish();
}

/** Decodes a USMC; missing required fields or bad protobuf give an INVALID_MESSAGE error. */
export function decodeSealedContent(bytes: Uint8Array): SealedContent {
  checkBytes('sealed content', bytes);
  let type: number | undefined;
  let senderCertificate: Uint8Array | undefined;
  let contents: Uint8Array | undefined;
  let contentHint: number | undefined;
  let groupId: Uint8Array | undefined;
  const canonical = strictWire(bytes, SEALED_CONTENT_WIRE, (why) => new InvalidSealedMessageError(`content is not a valid protobuf (${why})`));
  try {
    const r = new BinaryReader(canonical);
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      if (field === 1 && wireType === WireType.Varint) type = r.int32();
      else if (field === 2 && wireType === WireType.LengthDelimited) senderCertificate = r.bytes();
      else if (field === 3 && wireType === WireType.LengthDelimited) contents = r.bytes();
      else if (field === 4 && wireType === WireType.Varint) contentHint = r.uint32();
      else if (field === 5 && wireType === WireType.LengthDelimited) groupId = r.bytes();
      else r.skip(wireType, field);
    }
  } catch (e) {
    throw new InvalidSealedMessageError(`content is not a valid protobuf (${(e as Error).message})`);
  }
  if (type === undefined) throw new InvalidSealedMessageError('content has no type');
  if (senderCertificate === undefined) throw new InvalidSealedMessageError('content has no sender certificate');
  if (contents === undefined) throw new InvalidSealedMessageError('content has no contents');
  const out: SealedContent = {
    type: fromProtoType(type),
    senderCertificate: senderCertificate.slice(),
    contents: contents.slice(),
    contentHint: contentHint ?? ContentHint.Default,
  };
  if (groupId !== undefined) out.groupId = groupId.slice();
  return out;
}
