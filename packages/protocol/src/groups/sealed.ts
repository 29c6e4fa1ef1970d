/**
 * Group messages in sealed sender v2 (libsignal: `groupEncrypt`, then
 * `UnidentifiedSenderMessageContent.new(message, cert, hint, groupId)`, then
 * `sealedSenderMultiRecipientEncrypt`; the receiver's
 * `sealedSenderDecryptToUsmc`, then `groupDecrypt`). The sealing itself is
 * ../sealed-sender/v2.ts; this file fixes the content type (7, sender key)
 * and reads a group message back out of an unsealed content.
 */
import { InvalidMessageError } from '../errors.ts';
import { type SealedContent, SealedContentType } from '../sealed-sender/content.ts';
import { sealV2MultiRecipient, type V2Recipient } from '../sealed-sender/v2.ts';
import type { SealedSenderV2AgreementCache } from '../sealed-sender/v2-agreement-cache.ts';
import type { SealedKeyPair } from '../keys/curve-key.ts';
import { decodeSenderKeyMessage, type SenderKeyMessage } from './sender-key-message.ts';

/** Inputs of `sealGroupMessage`. */
export interface SealGroupMessageInput {
  /** The group message (from `groupEncrypt`), parsed or as bytes. */
  message: SenderKeyMessage | Uint8Array;
  /** Serialized sender certificate. */
  senderCertificate: Uint8Array;
  /** `ContentHint` (0 default, 1 resendable, 2 implicit). */
  contentHint?: number;
  /** The group id carried in the content (left out when empty). */
  groupId?: Uint8Array;
  senderIdentity: SealedKeyPair;
  recipients: V2Recipient[];
  excludedRecipients?: string[];
  /** Explicit 32 random bytes M (for vectors); fresh when absent. */
  m?: Uint8Array;
  /** Reuses DH(sender, member) across group sends (same output, one X25519 per member instead of two). */
  agreementCache?: SealedSenderV2AgreementCache;
}

/** The USMC of a group message: type 7, the hint and the group id. */
export function groupSealedContent(
  message: SenderKeyMessage | Uint8Array,
  senderCertificate: Uint8Array,
  contentHint?: number,
  groupId?: Uint8Array,
): SealedContent {
  const content: SealedContent = {
    type: SealedContentType.SenderKey,
    senderCertificate,
    contents: message instanceof Uint8Array ? message : message.serialized,
  };
  if (contentHint !== undefined) content.contentHint = contentHint;
  if (groupId !== undefined) content.groupId = groupId;
  return content;
}

/** A sealed sender v2 SentMessage (0x23) carrying a group message to every recipient. */
export function sealGroupMessage(input: SealGroupMessageInput): Uint8Array {
  return sealV2MultiRecipient({
    content: groupSealedContent(input.message, input.senderCertificate, input.contentHint, input.groupId),
    senderIdentity: input.senderIdentity,
    recipients: input.recipients,
    ...(input.excludedRecipients === undefined ? {} : { excludedRecipients: input.excludedRecipients }),
    ...(input.m === undefined ? {} : { m: input.m }),
    ...(input.agreementCache === undefined ? {} : { agreementCache: input.agreementCache }),
  });
}

/**
 * The group message inside an unsealed content (its `distributionId` and
 * the certificate's sender name the record to decrypt it with); a content
 * of another type is an InvalidMessageError.
 */
export function groupMessageFromSealed(content: SealedContent): SenderKeyMessage {
  if (content.type !== SealedContentType.SenderKey) {
    throw new InvalidMessageError(`sealed content type ${content.type} is not a sender key message (7)`);
  }
  return decodeSenderKeyMessage(content.contents);
}
