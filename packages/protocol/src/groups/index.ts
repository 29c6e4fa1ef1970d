/**
 * `@sealpost/protocol/groups`: libsignal-compatible sender keys (group
 * messaging), pure functions over immutable records. See README.md here
 * for the API summary.
 */
export {
  MAX_FORWARD_JUMPS,
  MAX_MESSAGE_KEYS,
  MAX_SENDER_KEY_STATES,
  SENDERKEY_MESSAGE_CURRENT_VERSION,
  SENDER_KEY_MESSAGE_TYPE,
  SENDER_KEY_SIGNATURE_LENGTH,
} from './constants.ts';
export { nextSenderChainKey, senderMessageKeySeed, type SenderChainKey } from './chain-key.ts';
export { deriveSenderMessageKey, type SenderMessageKey } from './message-key.ts';
export {
  decodeSenderKeyMessage,
  encodeSenderKeyMessage,
  verifySenderKeyMessage,
  type SenderKeyMessage,
} from './sender-key-message.ts';
export {
  decodeDistributionMessage,
  encodeDistributionMessage,
  type SenderKeyDistributionMessage,
} from './distribution-message.ts';
export type { SenderKeyState, SenderSigningKey, StoredSenderMessageKey } from './state.ts';
export { emptySenderKeyRecord, type SenderKeyRecord } from './record.ts';
export { deserializeSenderKeyRecord, serializeSenderKeyRecord } from './record-codec.ts';
export {
  createDistributionMessage,
  freshSenderKeyRandomness,
  processDistributionMessage,
  type SenderKeyRandomness,
} from './distribution.ts';
export { groupDecrypt, groupEncrypt } from './cipher.ts';
export { groupMessageFromSealed, groupSealedContent, sealGroupMessage, type SealGroupMessageInput } from './sealed.ts';
export { SealedSenderV2AgreementCache } from '../sealed-sender/v2-agreement-cache.ts';
export {
  DuplicateMessageError,
  InvalidMessageError,
  InvalidRecordError,
  InvalidSenderKeySessionError,
  InvalidSignatureError,
  InvalidVersionError,
  NoSenderKeyStateError,
  TooFarInFutureError,
} from '../errors.ts';
