/**
 * @sealpost/client — the SDK an app embeds: stores, sessions, prekey
 * upkeep, sealed sending and receiving through the key server and relay.
 */
export { SealpostClient, type SealpostClientOptions, type ReceivedMessage, type SentMessage, type ClientEvents, type ClientProblem, type ContactCard, type RelayView, type ReceiveMode } from './client.ts';
export { ClientError, ServiceError, IdentityChangedError, type ClientErrorCode } from './errors.ts';
export { encodeContent, decodeContent, CONTENT_VERSION, type MessageContent, type MessageRef, type Reaction } from './content.ts';
export { checkIdentity, type IdentityChange, type IdentityPolicy } from './identity.ts';
export { PreKeyUpkeep, DEFAULT_UPKEEP_POLICY, type UpkeepPolicy, type UpkeepReport, type PreKeyServer, type PreKeyUpload } from './upkeep.ts';
export { KeyServerClient, type DeviceBundle, type DeviceCredentials, type DeviceListing } from './keyserver-client.ts';
export { RelayClient, deriveAccessKey, deviceMismatchOf, type OutgoingEnvelope, type QueuedEnvelope, type DeviceMismatch } from './relay-client.ts';
export { WebSocketReceiver, pollOnce, backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy, type ReceiverState } from './receiver.ts';
export { withSessionTransaction, SessionLocks, type SessionStep } from './session-transaction.ts';
export { KeyedMutex } from './mutex.ts';
export * from './store/index.ts';
export { computeSafetyNumber, scannedSafetyNumberMatches, accountIdBytes, SAFETY_NUMBER_VERSION, type SafetyNumber } from './safety-number.ts';
