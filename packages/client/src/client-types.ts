/**
 * The public types of `SealpostClient`: its options, the messages it hands
 * the app, and its events.
 */
import type { DisappearingTimerEvent } from './disappearing/disappearing.ts';
import type { ExpiredMessages } from './disappearing/sweeper.ts';
import type { MessageContent, MessageRef } from './content.ts';
import type { IdentityChange, IdentityPolicy } from './identity.ts';
import type { BackoffPolicy, ReceiverState, WebSocketConstructor } from './receiver.ts';
import type { SessionOps } from './session-ops.ts';
import type { ClientStore, DeviceAddress } from './store/types.ts';
import type { UpkeepPolicy } from './upkeep.ts';
import type { QuarantineLimits } from './quarantine.ts';
import type { ResendReport } from './recovery.ts';
import type { GroupChangeEvent, GroupConflictEvent } from './groups/types.ts';
import type { ReceiptEvent } from './receipts/receipt-inbound.ts';
import type { ReceiptOptions } from './receipts/receipts.ts';
import type { TypingEvent } from './receipts/typing.ts';
import type { DeletedEvent, EditedEvent, EditPolicy, EditRejectedEvent, UnknownContentEvent } from './edits/types.ts';
import type { ContactDeletedEvent } from './account-deletion/contact-deleted.ts';
import type { HistoryTransferEvent, HistoryTransferOptions } from './history-transfer/options.ts';
import type { KeyTransparencyOptions, KtEvent } from './kt/types.ts';

/** How the client receives. */
export type ReceiveMode = 'websocket' | 'poll' | 'manual';

/** Options of `SealpostClient`. */
export interface SealpostClientOptions {
  /** Where everything persists (`SqliteStore` or `MemoryStore`). */
  store: ClientStore;
  /** Key server base URL, e.g. `http://127.0.0.1:8080`. */
  keyServerUrl: string;
  /** Relay base URL. */
  relayUrl: string;
  /**
   * The audience this device's relay credentials are issued for: the
   * relay's public origin, which the relay checks against its own. Default:
   * the origin of `relayUrl` (set it only when the relay is reached under
   * another name than the one it is configured with).
   */
  relayAudience?: string;
  /**
   * The sender-certificate trust root public key(s) this app pins: 33 bytes
   * starting with 0x05 (or the raw 32). Anything else throws
   * `INVALID_TRUST_ROOT` from the constructor; `start()` checks that our own
   * sender certificate validates under it (else `INVALID_TRUST_ROOT`).
   */
  trustRoot: Uint8Array | Uint8Array[];
  /** What an identity change does (default `warn`: trust the new key and emit `identityChanged`). */
  identityPolicy?: IdentityPolicy;
  /** Prekey upkeep schedule; `automatic: false` disables the timer (call `runUpkeep`). */
  upkeep?: Partial<UpkeepPolicy> & { automatic?: boolean };
  /** Receiving: WebSocket push (default), polling every `pollIntervalMs`, or only `poll()` calls. */
  receive?: { mode?: ReceiveMode; pollIntervalMs?: number; backoff?: BackoffPolicy };
  /**
   * Called for every new message before it counts as delivered. When it
   * resolves the message is marked delivered; when it throws, the message
   * stays undelivered and is offered again by `redeliver()` / the next start.
   */
  onMessage?: (message: ReceivedMessage) => void | Promise<void>;
  /** Clock, ms (injectable for tests). */
  now?: () => number;
  /** Session functions (tests may wrap them); defaults to the protocol's. */
  sessions?: SessionOps;
  /** Bounds of the quarantine of undecryptable envelopes (defaults: 1000 envelopes, 16 MiB, 5 automatic attempts). */
  quarantine?: Partial<QuarantineLimits>;
  /** How many times a send retries after device-list mismatches (default 3). */
  maxSendAttempts?: number;
  /**
   * The WebSocket constructor for push receiving. It must accept
   * `new WebSocket(url, { headers })` (the relay authenticates with an
   * `authorization` header), as the `ws` package does. Default: `ws`, loaded
   * lazily on the first connect (so the package root never imports it).
   */
  WebSocket?: WebSocketConstructor;
  /** Delivery receipts (on, batched over 1 s by default) and typing indicators (rate limit, expiry); see receipts/receipts.ts. */
  receipts?: ReceiptOptions;
  /** Edit and delete for everyone: the windows a received edit or delete is applied within (defaults: 24 h each). */
  edits?: Partial<EditPolicy>;
  /** Send read receipts when messages are marked read (default true; `conversations.setReadReceipts` overrides it, persisted). */
  readReceipts?: boolean;
  /** History transfer to newly linked devices (default: on, 1000 messages, 30 days); see docs/history-transfer.md. */
  historyTransfer?: HistoryTransferOptions;
  /**
   * Key transparency (issue 15; README "Key transparency"): the pinned log and witness policy, like `trustRoot`,
   * and what a failed check does (`enforce` refuses the key, `warn` emits `kt` and goes on, `off`). Absent: off.
   */
  keyTransparency?: KeyTransparencyOptions;
}

/** A message as the app receives it. */
export interface ReceivedMessage {
  /** Local id in the store's history. */
  id: number;
  /** The conversation: the other account (for a sync copy, the account our other device wrote to), or `group:<id>` for a group. */
  conversation: string;
  /** The group (hex id) for a group message. */
  group?: string;
  /** The device that wrote it. */
  sender: DeviceAddress;
  /** True when one of our own other devices sent it (a sync copy). */
  fromSelf: boolean;
  /** The decoded payload. */
  content: MessageContent;
  /** Relay envelope id it arrived in. */
  envelopeId: string;
  /** When it was stored here, ms. */
  storedAt: number;
}

/** A message this device sent. */
export interface SentMessage {
  /** Local id in the store's history. */
  id: number;
  /** The recipient account. */
  to: string;
  /** The payload as sent. */
  content: MessageContent;
  /** Recipient devices it was sealed for. */
  devices: number[];
  /** Own other devices that got a copy. */
  syncedDevices: number[];
  /** A reference to this message, for replies and reactions. */
  ref: MessageRef;
}

/**
 * What the relay was given for one device (for tools that show the
 * operator's view). A group send is one entry for its one sealed sender v2
 * upload: recipient `{ account: 'group:<id>', device: 0 }`, the SentMessage's size.
 */
export interface RelayView {
  recipient: DeviceAddress;
  bytes: number;
  /** First byte of the envelope: the sealed-sender version, nothing about the sender. */
  versionByte: number;
}

/** A non-fatal problem the client handled (e.g. an envelope that could not be decrypted). */
export interface ClientProblem {
  error: unknown;
  /** Relay envelope id, when the problem concerns one. */
  envelopeId?: string;
  /** True when the envelope was kept in the quarantine (`quarantined()`, `retryQuarantined()`). */
  quarantined?: boolean;
}

/** Events of `SealpostClient`. */
export interface ClientEvents {
  [key: string]: unknown;
  /** A new message (received, or a copy of one our other device sent). */
  message: ReceivedMessage;
  /** A contact's identity key changed: show "safety number changed". */
  identityChanged: IdentityChange;
  /** Receiver connection state. */
  connection: ReceiverState;
  /** A handled problem (undecryptable envelope, failed upkeep, ...). */
  error: ClientProblem;
  /** What this client handed the relay (sealed, senderless envelopes). */
  relaySend: RelayView[];
  /** A contact's device could not decrypt our messages and asked again: the session was re-established and this many resent. */
  resent: ResendReport;
  /** A group change was applied (made here or received). */
  groupChanged: GroupChangeEvent;
  /** Two different changes or states were seen for one epoch of a group: it is frozen (sends refused) until resolved. */
  groupConflict: GroupConflictEvent;
  /** `markRead` marked these received messages of one conversation read. */
  messagesRead: { peer: string; ids: number[]; readAt: number };
  /** A delivery or read receipt from a recipient device for messages of ours (every device of this account gets it). */
  receipt: ReceiptEvent;
  /** A contact (or group member) started or stopped typing; a STARTED expires at `expiresAt` unless refreshed. */
  typing: TypingEvent;
  /** A stored message got a new text (an edit for everyone, from its author). */
  edited: EditedEvent;
  /** A stored message was deleted for everyone by its author (now a tombstone). */
  deletedForEveryone: DeletedEvent;
  /** An edit or delete for everyone was refused (not the author, outside the window, unknown or deleted target); nothing changed. */
  editRejected: EditRejectedEvent;
  /** A message carries fields this SDK does not know, or a newer payload version (it is stored as received). */
  unknownContent: UnknownContentEvent;
  /** A contact's account was deleted (a send or bundle fetch was refused with `ACCOUNT_DELETED`; nothing for it stays in the outbox). */
  contactDeleted: ContactDeletedEvent;
  /** A conversation's disappearing-messages timer changed (set here, by the peer, or on our other device). */
  disappearingTimer: DisappearingTimerEvent;
  /** Disappearing messages whose timer ran out were deleted from the store. */
  messagesExpired: ExpiredMessages;
  /** History transfer to a newly linked device: progress and result, on the primary and on the new device. */
  historyTransfer: HistoryTransferEvent;
  /** A key-transparency check's result: `verified`, `mismatch`, `identityChanged`, `ownerAlarm`, `fork`, `unwitnessed`, `stale`, `monitorFailed`. */
  kt: KtEvent;
}

/** A contact card: what two users exchange (e.g. by QR code) before the first message. */
export interface ContactCard {
  account: string;
  /** 32-byte profile key; lets the holder derive the access key the relay asks for. */
  profileKey: Uint8Array;
}

