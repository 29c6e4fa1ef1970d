/** What `Outgoing` takes and sends: the message shape, its dependencies, the send-log limits (re-exported by outgoing.ts). */
import type { SealedSenderV2AgreementCache } from '@sealpost/protocol/sealed-sender';
import type { ClientEvents } from './client-types.ts';
import type { Contacts } from './contacts.ts';
import type { MessageContent, MessageRef } from './content.ts';
import type { Credentials } from './credentials.ts';
import type { KeyServerClient } from './keyserver-client.ts';
import type { RelayClient } from './relay-client.ts';
import type { SessionLocks } from './session-transaction.ts';
import type { LocalKeys, SessionOps } from './session-ops.ts';
import type { ClientStore, NewMessage, RegisteredAccount, StoreTransaction } from './store/types.ts';
import type { Trust } from './trust.ts';

/** How long a sent message is kept for resending on a decryption-error message, ms (Signal's send log: 24 h). */
export const SENT_LOG_MAX_AGE_MS = 24 * 3600_000;
/** Most sent-message entries (one per recipient device) kept for resending. */
export const SENT_LOG_MAX_ENTRIES = 2000;
/** A message is resent at most this many times to one device (a receiver that keeps failing cannot loop us). */
export const MAX_RESENDS = 2;

/** How long "this account has no other device" is believed before asking the key server again, ms. */
export const OWN_DEVICES_RECHECK_MS = 10_000;


/** What a message to send may say. */
export interface OutgoingMessage {
  text?: string;
  replyTo?: MessageRef;
  reaction?: MessageContent['reaction'];
  messageId?: string;
  timestamp?: number;
  /** Uploaded attachments (see AttachmentClient.upload, or sendFiles in @sealpost/client/media). */
  attachments?: MessageContent['attachments'];
  /** Link previews (see fetchLinkPreview + uploadLinkPreview in @sealpost/client/media, or sendFiles with `linkPreview`). */
  previews?: MessageContent['previews'];
  /** App-defined payloads (`{ type: 'com.example.poll', data }`), delivered untouched. */
  extensions?: MessageContent['extensions'];
  /** The disappearing-messages timer to carry (default: the conversation's; see disappearing/). */
  expireTimer?: MessageContent['expireTimer'];
}

/** What `Outgoing` works with. */
export interface OutgoingDeps {
  store: ClientStore;
  keyServer: KeyServerClient;
  relay: RelayClient;
  ops: SessionOps;
  locks: SessionLocks;
  now: () => number;
  own: () => RegisteredAccount;
  contacts: Contacts;
  credentials: Credentials;
  trust: Trust;
  maxSendAttempts: number;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  /** Key transparency (kt/): checks a bundle's identity key against the log before a session is built (throws `KtError` under `enforce`). */
  kt?: { checkBundle(account: string, identityKey: Uint8Array): Promise<{ logged: boolean } | undefined> };
  /** DH(our identity, recipient identity), reused by sealed sender v1 and v2 sends (memory only, bounded; same bytes). */
  agreementCache?: SealedSenderV2AgreementCache;
  /** Disappearing messages: the timer a chat message to `peer` carries, and the hook in the transaction that stores a sent message (returns after-commit work). */
  disappearing?: {
    timerOf(peer: string): Promise<MessageContent['expireTimer']>;
    sentStored(tx: StoreTransaction, id: number, row: NewMessage): Promise<(() => void) | undefined>;
  };
}

/** The local keys of `own` in the form the session functions take. */
export function localKeysOf(own: RegisteredAccount): LocalKeys {
  return { identity: { privateKey: own.identityPrivateKey, publicKey: own.identityPublicKey }, registrationId: own.registrationId };
}

/** The `Content` of `message` (version 1, at `timestamp`): its own fields, and the timer to carry when there is one. */
export function outgoingContent(message: OutgoingMessage, timestamp: number, expireTimer: MessageContent['expireTimer']): MessageContent {
  const content: MessageContent = { version: 1, timestamp };
  if (message.text !== undefined) content.text = message.text;
  if (message.replyTo !== undefined) content.replyTo = message.replyTo;
  if (message.reaction !== undefined) content.reaction = message.reaction;
  if (message.messageId !== undefined) content.messageId = message.messageId;
  if (message.attachments !== undefined) content.attachments = message.attachments;
  if (message.previews !== undefined) content.previews = message.previews;
  if (message.extensions !== undefined) content.extensions = message.extensions;
  if (expireTimer !== undefined) content.expireTimer = expireTimer;
  return content;
}
