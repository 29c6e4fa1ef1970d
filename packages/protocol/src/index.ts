/**
 * @sealpost/protocol — the public surface.
 *
 * 1:1 sessions (PQXDH + Double Ratchet), wire-compatible with libsignal
 * v0.90.0, as a functional core: every step is `(record, input) -> (record,
 * output)`; records and messages are plain immutable values with libsignal's
 * byte layouts. Lower-level seams (PQXDH secrets, root/chain steps, session
 * initialisation from explicit keys) are exported for known-answer vectors.
 *
 * Other modules (primitives, sealed sender, fingerprints) are imported by
 * path: `@sealpost/protocol/primitives/index.ts`, etc.
 */

// Errors
export * from './errors.ts';

// Keys and key records
export {
  CURVE_KEY_TYPE,
  CURVE_PUBLIC_KEY_LENGTH,
  type CurveKeyPair,
  checkCurvePublicKey,
  curveAgree,
  curveKeyPairFromPrivate,
  curvePublicKeyBytes,
  generateCurveKeyPair,
  isCanonicalCurvePublicKey,
  serializeCurvePublicKey,
} from './keys/curve-key.ts';
export {
  KYBER1024_KEY_TYPE,
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

// Key-derivation seams
export {
  type PqxdhInitiatorInputs,
  type PqxdhKeys,
  type PqxdhResponderInputs,
  derivePqxdhKeys,
  pqxdhInitiator,
  pqxdhInitiatorSecretInput,
  pqxdhResponder,
  pqxdhResponderSecretInput,
} from './pqxdh/pqxdh.ts';
export { type RootKeyStepOutput, rootKeyStep, rootKeyStepFromSecret } from './ratchet/root-key.ts';
export { type ChainKey, chainKeyStep, messageKeySeed, nextChainKey } from './ratchet/chain-key.ts';
export { type MessageKeys, deriveMessageKeys } from './ratchet/message-keys.ts';
export * from './ratchet/constants.ts';

// Sessions
export type {
  PendingKyberPreKey,
  PendingPreKey,
  ReceiverChain,
  SenderChain,
  SessionState,
  SkippedMessageKey,
} from './session/session-state.ts';
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
export { decodeSessionState, encodeSessionState } from './session/session-codec.ts';
export type { PreKeyBundle } from './session/prekey-bundle.ts';
export {
  type AliceSessionInputs,
  type BobSessionInputs,
  initializeAliceSession,
  initializeBobSession,
} from './session/initialize.ts';
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
