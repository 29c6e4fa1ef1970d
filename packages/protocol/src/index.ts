/**
 * @sealpost/protocol — the public surface.
 *
 * 1:1 sessions (PQXDH + triple ratchet: SPQR + Double Ratchet),
 * wire-compatible with libsignal v0.103.0 (and v0.90.0), as a functional core: every step is `(record, input) -> (record,
 * output)`; records and messages are plain immutable values with libsignal's
 * byte layouts.
 *
 * The package's public entries (nothing else is public API):
 *   @sealpost/protocol                sessions, keys, records, messages, errors,
 *                                     relay credentials, access keys
 *   @sealpost/protocol/sealed-sender  sealed sender v1/v2 and certificates
 *   @sealpost/protocol/fingerprint    safety numbers
 *   @sealpost/protocol/primitives     the crypto and byte primitives facade
 *   @sealpost/protocol/hazmat         fenced low-level seams (PQXDH secrets,
 *                                     root/chain steps, session init from
 *                                     explicit keys) for known-answer vectors
 */

// Errors
export * from './errors.ts';

// Keys and key records
export {
  CURVE_KEY_TYPE,
  CURVE_PUBLIC_KEY_LENGTH,
  type CurveKeyPair,
  type SealedKeyPair,
  checkCurvePublicKey,
  curveAgree,
  curveKeyPairFromPrivate,
  curvePublicKeyBytes,
  generateCurveKeyPair,
  isCanonicalCurvePublicKey,
  isSerializedCurvePublicKey,
  rawCurvePublicKey,
  sameCurvePublicKey,
  serializeCurvePublicKey,
} from './keys/curve-key.ts';
export {
  KYBER1024_KEY_TYPE,
  KYBER1024_PUBLIC_KEY_LENGTH,
  type KyberKeyPair,
  generateKyberKeyPair,
  kyberDecapsulate,
  kyberEncapsulate,
  kyberPublicKeyBytes,
  kyberSecretKeyBytes,
} from './keys/kem-key.ts';
export {
  type IdentityKeyPair,
  deserializeIdentityKeyPair,
  generateIdentityKeyPair,
  serializeIdentityKeyPair,
  signWithIdentityKey,
  verifyIdentitySignature,
} from './keys/identity-key.ts';
export {
  type KyberPreKeyRecord,
  type PreKeyRecord,
  type SignedPreKeyRecord,
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSignedPreKeyRecord,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  serializeKyberPreKeyRecord,
  serializePreKeyRecord,
  serializeSignedPreKeyRecord,
} from './keys/prekey-records.ts';

// Wire messages
export {
  type SignalMessage,
  SIGNAL_MESSAGE_MAC_LENGTH,
  decodeSignalMessage,
  encodeSignalMessage,
  verifySignalMessageMac,
} from './messages/signal-message.ts';
export {
  type PreKeySignalMessage,
  decodePreKeySignalMessage,
  encodePreKeySignalMessage,
} from './messages/prekey-signal-message.ts';
export {
  type DecryptionErrorMessage,
  PLAINTEXT_CONTENT_IDENTIFIER,
  decodeDecryptionErrorMessage,
  decryptionErrorMessageForOriginal,
  encodeDecryptionErrorMessage,
  encodePlaintextContent,
  extractDecryptionErrorMessage,
  plaintextContentBody,
} from './messages/decryption-error-message.ts';

// Protocol limits (libsignal's consts.rs) and the per-call decrypt work budget
export * from './ratchet/constants.ts';
export { ARCHIVED_WORK_BUDGET } from './ratchet/work-meter.ts';

// Sessions
export type {
  ReceiverChain,
  SenderChain,
  SessionState,
  SkippedMessageKey,
  UnacknowledgedKyberPreKey,
  UnacknowledgedPreKey,
} from './session/session-state.ts';
// The key types a SessionState holds (the functions deriving them are in ./hazmat).
export type { ChainKey } from './ratchet/chain-key.ts';
export type { MessageKeys } from './ratchet/message-keys.ts';
export {
  type SessionRecord,
  archiveCurrentState,
  deserializeSessionRecord,
  emptySessionRecord,
  hasUsableSenderChain,
  isAwaitingReply,
  promoteState,
  remoteIdentityKey,
  remoteRegistrationId,
  serializeSessionRecord,
} from './session/session-record.ts';
export type { PreKeyBundle } from './session/prekey-bundle.ts';
export {
  type InitiateSessionInput,
  type PreKeyLookups,
  type PreKeysUsed,
  initiateSession,
} from './session/session-builder.ts';
export {
  CIPHERTEXT_MESSAGE_TYPE,
  type CiphertextMessage,
  type DecryptMessageInput,
  type DecryptPreKeyMessageInput,
  type DecryptPreKeyMessageResult,
  type EncryptMessageInput,
  decryptMessage,
  decryptPreKeyMessage,
  encryptMessage,
} from './session/session-cipher.ts';
export { type ProtocolAddress, type SessionAddresses, serializeAddresses } from './session/addresses.ts';
export { SpqrError, type SpqrErrorKind } from './spqr/errors.ts';

// Relay credentials (key server signs, relay verifies) and unidentified-access keys
export {
  RELAY_AUDIENCE_MAX_LENGTH,
  RELAY_CREDENTIAL_CACHE_SIZE,
  RELAY_CREDENTIAL_CONTEXT,
  RELAY_CREDENTIAL_VERSION,
  RELAY_PUBLIC_KEY_LENGTH,
  type RelayCredential,
  type RelayCredentialKeyPair,
  type RelayCredentialVerifier,
  formatRelayCredentialPayload,
  generateRelayCredentialKeyPair,
  isValidRelayAudience,
  relayCredentialSignedBytes,
  relayCredentialVerifier,
  signRelayCredential,
  verifyRelayCredential,
} from './relay-credential.ts';
export { UPLOAD_CAPABILITY_CONTEXT, UPLOAD_CAPABILITY_VERSION, type UploadCapability, isBlobKey, signUploadCapability, verifyUploadCapability } from './upload-capability.ts';
export { ACCESS_KEY_LENGTH, PROFILE_KEY_LENGTH, deriveAccessKey } from './access-key.ts';
