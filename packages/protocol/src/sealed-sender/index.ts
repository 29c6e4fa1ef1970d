/**
 * Sealed sender (libsignal-client 0.90 wire formats): hide the sender of a
 * message from the server while proving it to the recipient.
 *
 * - v1, one recipient: `sealV1` / `unsealV1`
 * - v2, many recipients: `sealV2MultiRecipient` (SentMessage; an optional
 *   `SealedSenderV2AgreementCache` reuses DH(sender, recipient) across sends),
 *   `splitV2ForRecipient` (the relay's per-recipient ReceivedMessage, also as its
 *   two parts `v2RecipientHeader` ‖ `v2SharedPayload`), `unsealV2`
 * - `unseal`: either version, plus sender-certificate validation (trust root,
 *   expiry, certificate key bound to the sealing key and to the identity on record);
 *   the same in two steps: `unsealToContent`, then `validateUnsealed`
 * - `ServerCertificateCache`: a caller-owned, bounded cache of validated server
 *   certificates, accepted by `unseal` / `validateUnsealed` / `senderCertificateIsValid`
 */
export { ContentHint, SealedContentType, decodeSealedContent, encodeSealedContent, type SealedContent } from './content.ts';
export { sealV1, openV1, SEALED_SENDER_V1_VERSION, type SealV1Input, type OpenedV1 } from './v1.ts';
export { sealV2MultiRecipient, openV2, type SealV2Input, type V2Recipient, type OpenedV2 } from './v2.ts';
export { DEFAULT_V2_AGREEMENT_CACHE_ENTRIES, SealedSenderV2AgreementCache } from './v2-agreement-cache.ts';
export {
  parseV2SentMessage,
  splitV2ForRecipient,
  v2RecipientHeader,
  v2SharedPayload,
  SEALED_SENDER_V2_SERVICE_ID_VERSION,
  SEALED_SENDER_V2_UUID_VERSION,
  type V2Device,
  type V2SentMessage,
  type V2SentRecipient,
} from './v2-sent-message.ts';
export {
  SenderIdentityMismatchError,
  unseal,
  unsealToContent,
  unsealV1,
  unsealV2,
  validateUnsealed,
  type UnsealInput,
  type UnsealValidation,
  type UnsealedContent,
} from './unseal.ts';
export { DEFAULT_SERVER_CERTIFICATE_CACHE_ENTRIES, ServerCertificateCache, type ServerCertificateCacheOptions } from './server-certificate-cache.ts';
export { canonicalServiceId, serviceIdFromBinary, serviceIdToBinary } from './service-id.ts';
export type { SealedKeyPair } from '../keys/curve-key.ts';
export * from './certificates.ts';
// The sealed-sender error classes (also exported by the root entry with every other protocol error).
export { InvalidCertificateError, InvalidSealedMessageError, SealedDecryptionError, UnknownSealedVersionError } from '../errors.ts';
