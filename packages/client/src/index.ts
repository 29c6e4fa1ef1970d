/**
 * @sealpost/client — the SDK an app embeds: stores, sessions, prekey
 * upkeep, sealed sending and receiving through the key server and relay.
 *
 * This root entry runs on any platform with `fetch` and WebCrypto-grade
 * randomness: it imports neither better-sqlite3 nor `ws`. The SQLite store
 * is at `@sealpost/client/sqlite`; the WebSocket constructor is an option
 * (default: the platform's `WebSocket` outside Node, else `ws`, loaded on
 * first connect). The browser store is at `@sealpost/client/browser`.
 */
export { SealpostClient, type SealpostClientOptions, type ReceivedMessage, type SentMessage, type ClientEvents, type ClientProblem, type ContactCard, type RelayView, type ReceiveMode } from './client.ts';
export { ClientError, ServiceError, NetworkError, isNetworkError, IdentityChangedError, KyberPreKeyReplayError, type ClientErrorCode, type NetworkErrorCode } from './errors.ts';
export { DEFAULT_QUARANTINE_LIMITS, type QuarantineLimits } from './quarantine.ts';
export type { ResendReport } from './recovery.ts';
export { SENT_LOG_MAX_AGE_MS, SENT_LOG_MAX_ENTRIES, MAX_RESENDS } from './outgoing.ts';
export { padPlaintext, unpadPlaintext, paddedLength, PADDING_BLOCK } from './padding.ts';
export { encodeContent, decodeContent, CONTENT_VERSION, type MessageContent, type MessageRef, type Reaction } from './content.ts';
export { MAX_RECEIPT_TARGETS, type ReceiptContent, type ReceiptType } from './receipts/receipt-codec.ts';
export type { TypingAction, TypingContent } from './receipts/typing-codec.ts';
export { Receipts, type ReceiptOptions, type MessageReceiptStatus, type RecipientMark } from './receipts/receipts.ts';
export type { ReceiptEvent } from './receipts/receipt-inbound.ts';
export { DEFAULT_TYPING_EXPIRY_MS, DEFAULT_TYPING_STARTED_INTERVAL_MS, type TypingEvent } from './receipts/typing.ts';
export { DEFAULT_DELIVERY_RECEIPT_DELAY_MS } from './receipts/delivery-receipts.ts';
export type { MessagesRead, ReadListener } from './read-state.ts';
export { Disappearing, type DisappearingTimerEvent } from './disappearing/disappearing.ts';
export { MAX_EXPIRE_TIMER_SECONDS, type ExpireTimerContent } from './disappearing/timer-codec.ts';
export { adoptTimer, type TimerValue } from './disappearing/timer-rule.ts';
export { SWEEP_BATCH, type ExpiredMessages } from './disappearing/sweeper.ts';
export { checkIdentity, type IdentityChange, type IdentityPolicy } from './identity.ts';
export { PreKeyUpkeep, DEFAULT_UPKEEP_POLICY, type UpkeepPolicy, type UpkeepReport, type PreKeyServer, type PreKeyUpload } from './upkeep.ts';
export { KeyServerClient, type DeviceBundle, type DeviceCredentials, type DeviceListing } from './keyserver-client.ts';
export { solveRegistrationChallenge, type RegistrationGateAnswer } from './registration-gate.ts';
export { RelayClient, deriveAccessKey, deviceMismatchOf, type OutgoingEnvelope, type QueuedEnvelope, type DeviceMismatch } from './relay-client.ts';
export { WebSocketReceiver, pollOnce, backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy, type ReceiverState, type WebSocketConstructor, type WebSocketLike } from './receiver.ts';
export { withSessionTransaction, runSessionStep, SessionLocks, type SessionStep, type SessionStepFn } from './session-transaction.ts';
export { RELAY_TOKEN_REFRESH_MARGIN_MS, SENDER_CERTIFICATE_REFRESH_MARGIN_MS } from './credentials.ts';
export type { InboundHandler, InboundResult, OpenedEnvelope } from './incoming.ts';
export type { OutgoingMessage } from './outgoing.ts';
export { KeyedMutex } from './mutex.ts';
export { formatLinkUri, parseLinkUri, LINK_URI_PREFIX, type DeviceLinking, type LinkTarget } from './linking.ts';
export { sealProvisioningMessage, openProvisioningMessage, ProvisioningMessageError, PROVISIONING_CIPHER_VERSION, type ProvisioningRandomness } from './provisioning-cipher.ts';
export * from './store/index.ts';
export { computeSafetyNumber, scannedSafetyNumberMatches, accountIdBytes, SAFETY_NUMBER_VERSION, type SafetyNumber } from './safety-number.ts';
export { sessionOps, sessionAddresses, type SessionOps, type LocalKeys } from './session-ops.ts';
export type { AttachmentPointer, LinkPreview } from './attachments/pointer.ts';
export * from './groups/index.ts';
export * from './edits/index.ts';
export { AccountDeletedError, isAccountDeleted, ACCOUNT_DELETED_CODE } from './account-deletion/errors.ts';
export { ACCOUNT_DELETED_SETTING, accountDeletedAt } from './account-deletion/delete-account.ts';
export type { ContactDeletedEvent } from './account-deletion/contact-deleted.ts';
export { Conversations, MAX_PAGE, MAX_QUERY_LENGTH, type Conversation, type ConversationMessage, type HistoryPage, type SearchResult } from './conversations/conversations.ts';
export type { ConversationStore, ConversationSummary, SearchHit, SearchOptions } from './conversations/store-types.ts';
export { MAX_READ_SYNC_REFS, type ReadSyncContent } from './conversations/read-sync-codec.ts';
export { READ_RECEIPTS_SETTING } from './conversations/read-receipts.ts';
export * from './history-transfer/index.ts';
export { KeyTransparency, type KeyTransparencyDeps, type KtStatus } from './kt/key-transparency.ts';
export { KtError, isKtError, type KtErrorCode } from './kt/errors.ts';
export { KT_CLIENT_DEFAULTS } from './kt/options.ts';
export type { HandleLookup } from './kt/handles.ts';
export type { KeyTransparencyOptions, KtCheckSource, KtEvent, KtEventKind, KtEvidenceRecord, KtMode } from './kt/types.ts';
