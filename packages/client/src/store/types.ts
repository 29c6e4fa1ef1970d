/**
 * The client's persistent state, split by role as libsignal splits its
 * stores (sessions, identities, prekeys, signed prekeys, Kyber prekeys) plus
 * what the SDK keeps around them (history, outbox, settings, contacts).
 * Every method returns a Promise, so IndexedDB, OPFS or a remote database can
 * implement it; `SqliteStore` and `MemoryStore` are the two shipped here.
 *
 * Atomicity comes from `transaction(async tx => …)`: every write made through
 * `tx` commits together or not at all, and transactions on one store never
 * interleave. A ratchet step is an async load, the pure (synchronous)
 * protocol step, and an async store — all inside one transaction (see
 * `session-transaction.ts`). The role objects on the store itself run each
 * call on its own (as a one-statement transaction).
 *
 * Key material is stored as opaque record bytes; the SDK decides their encoding.
 */
import type { ExpirationStore } from './expiration-types.ts';

/** A remote (or local) device: account id plus device id. */
export interface DeviceAddress {
  /** The account's service id (UUID string as the key server issues it). */
  readonly account: string;
  /** Device id within the account (1 = primary). */
  readonly device: number;
}

/** This device's long-lived identity (what exists before the key server knows the device). */
interface LocalIdentity {
  /** Identity key pair: 32-byte private key and 33-byte serialized (0x05-prefixed) public key. */
  identityPrivateKey: Uint8Array;
  identityPublicKey: Uint8Array;
  /** libsignal registration id (14 bits, 1..16380). */
  registrationId: number;
}

/** A local identity the key server has not (yet) assigned an account to. */
export interface UnregisteredAccount extends LocalIdentity {
  account?: undefined;
  device?: undefined;
  deviceSecret?: undefined;
  profileKey?: undefined;
}

/** A registered (or linked) device with its credentials at the key server. */
export interface RegisteredAccount extends LocalIdentity {
  /** Account id the key server assigned. */
  account: string;
  /** This device's id. */
  device: number;
  /** The device's secret for authenticating to the services (base64). */
  deviceSecret: string;
  /** Profile key (32 bytes) from which the unidentified-access key is derived. */
  profileKey: Uint8Array;
}

/** This device's identity, before or after registration. */
export type LocalAccount = UnregisteredAccount | RegisteredAccount;

/** A remote account's identity key as trusted on first use. */
export interface TrustedIdentity {
  /** The 33-byte serialized Curve25519 public key. */
  identityKey: Uint8Array;
  /** When it was first (or last explicitly) trusted, ms since epoch. */
  trustedAt: number;
  /** True once the user compared safety numbers. */
  verified: boolean;
}

/** Result of offering an identity key to the trust store. */
export type IdentityDecision =
  /** Never seen before: trusted on first use. */
  | 'new'
  /** Matches the trusted key. */
  | 'same'
  /** Differs from the trusted key: the app must be told. */
  | 'changed';

/** The kinds of prekey this device holds. */
export type PreKeyKind = 'ec' | 'signed' | 'kyber';

/** A stored prekey (any kind). */
export interface StoredPreKey {
  readonly kind: PreKeyKind;
  /** 24-bit id, unique per kind among keys in use. */
  readonly id: number;
  /** The key material, encoded by the SDK. */
  readonly record: Uint8Array;
  /** Creation time, ms since epoch. */
  readonly createdAt: number;
  /** Kyber only: the long-lived last-resort key (not deleted on use). */
  readonly lastResort: boolean;
  /** Signed/last-resort only: when it was replaced by a newer key (ms), if it was. */
  readonly replacedAt: number | undefined;
}

/** Direction of a stored message. */
export type MessageDirection = 'in' | 'out';

/** A message in the content history (received or sent). */
export interface StoredMessage {
  /** Local row id (monotonic). */
  readonly id: number;
  readonly direction: MessageDirection;
  /** The conversation's peer account (for a sync copy of our own message: the recipient). */
  readonly peer: string;
  /** Who wrote it. */
  readonly sender: DeviceAddress;
  /** The sender's timestamp from the content, ms. */
  readonly timestamp: number;
  /** The encoded content payload (protobuf `Content`). */
  readonly content: Uint8Array;
  /** The relay's envelope id it arrived in (received messages only). */
  readonly envelopeId: string | undefined;
  /** Local arrival / send time, ms. */
  readonly storedAt: number;
  /** True once handed to the app and accepted. */
  readonly delivered: boolean;
  /** Received messages: when the user read it (`markRead`), ms; undefined while unread (and for sent messages). */
  readonly readAt?: number | undefined;
}

/** Fields of a message to append to the history. */
export type NewMessage = Omit<StoredMessage, 'id' | 'delivered' | 'readAt'> & { delivered?: boolean; readAt?: number | undefined };

/** One per-device ciphertext of a pending send, kept until the relay accepts the batch. */
export interface OutboxEntry {
  readonly batchId: string;
  readonly recipient: DeviceAddress;
  readonly registrationId: number;
  /** The sealed envelope bytes for this device. */
  readonly envelope: Uint8Array;
  readonly createdAt: number;
}

/** A contact's keys: what their contact card (or a message from them) told us. */
export interface Contact {
  readonly account: string;
  /** 32-byte profile key. */
  readonly profileKey: Uint8Array;
  /** When the profile key was last written, ms. */
  readonly updatedAt: number;
}

/** One ratchet session record per remote device (libsignal `SessionStore`). */
export interface SessionStore {
  load(address: DeviceAddress): Promise<Uint8Array | undefined>;
  store(address: DeviceAddress, record: Uint8Array): Promise<void>;
  remove(address: DeviceAddress): Promise<void>;
  /** Device ids with a stored session for `account`, ascending. */
  devices(account: string): Promise<number[]>;
}

/** This device's identity and the remote identities trusted on first use (libsignal `IdentityKeyStore`). */
export interface IdentityStore {
  localAccount(): Promise<LocalAccount | undefined>;
  setLocalAccount(account: LocalAccount): Promise<void>;
  trusted(account: string): Promise<TrustedIdentity | undefined>;
  /** Trusts `identityKey` for `account`, replacing any earlier key. */
  trust(account: string, identityKey: Uint8Array, now: number, verified?: boolean): Promise<void>;
}

/** Prekeys of one kind (libsignal `PreKeyStore` / `SignedPreKeyStore` / `KyberPreKeyStore`). */
export interface PreKeyTable {
  load(id: number): Promise<StoredPreKey | undefined>;
  /** Stores `key` (its `kind` must be this table's). */
  store(key: StoredPreKey): Promise<void>;
  remove(id: number): Promise<void>;
  /** Every key of this kind, oldest first. */
  list(): Promise<StoredPreKey[]>;
  /**
   * Reserves `count` fresh ids from a monotonic counter (wrapping within
   * 1..0xFFFFFF, skipping ids still stored). Ids are never handed out twice
   * while in use.
   */
  allocateIds(count: number): Promise<number[]>;
}

/** One-time EC prekeys. */
export type OneTimePreKeyStore = PreKeyTable;

/** Long-lived prekeys that are rotated (signed EC prekeys; last-resort Kyber prekeys). */
export interface SignedPreKeyStore extends PreKeyTable {
  /** Records when the key was replaced by a newer one (only the first call counts). */
  markReplaced(id: number, replacedAt: number): Promise<void>;
}

/** What `markKyberPreKeyUsed` did. */
export type KyberPreKeyUse = 'removed' | 'recorded';

/** Kyber prekeys: one-time ones and the last-resort one share one id space. */
export interface KyberPreKeyStore extends SignedPreKeyStore {
  /**
   * libsignal's `markKyberPreKeyUsed`: a one-time key is removed
   * (`'removed'`); for a last-resort key the (Kyber id, signed prekey id,
   * base key) triple is recorded (`'recorded'`), and a triple recorded
   * before throws `KyberPreKeyReplayError` — a replayed PreKeySignalMessage.
   */
  markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: Uint8Array): Promise<KyberPreKeyUse>;
}

/** Content history and the inbox, plus envelope de-duplication. */
export interface HistoryStore {
  /** Appends a message; returns its row id. Throws if its envelope id was already stored. */
  add(message: NewMessage): Promise<number>;
  markDelivered(id: number): Promise<void>;
  get(id: number): Promise<StoredMessage | undefined>;
  /** Messages not yet accepted by the app (received ones and sync copies), oldest first. */
  undelivered(): Promise<StoredMessage[]>;
  /** History with one peer, oldest first (the newest `limit`, default 1000). */
  conversation(peer: string, limit?: number): Promise<StoredMessage[]>;
  /** Total stored messages (for tests and tools). */
  count(direction?: MessageDirection): Promise<number>;
  /**
   * Marks the unread received messages of `peer` with row id ≤ `upToId` as read at
   * `now`; returns exactly the rows this call marked (with `readAt` set), oldest first.
   */
  markRead(peer: string, upToId: number, now: number): Promise<StoredMessage[]>;
  /**
   * Deletes the messages `ids` (unknown ids are skipped): the row, its
   * indexes, its scheduled expiration and, for a sent message, the sent-log
   * copies of its plaintext (every entry of its timestamp: the recipients'
   * copy and the sync transcript; another message sent in the same
   * millisecond loses its resend copy, a best-effort repair anyway). SQLite overwrites the freed
   * pages (`secure_delete`) and truncates the WAL after the commit. Returns
   * how many rows were removed. (Disappearing messages, disappearing/.)
   */
  remove(ids: readonly number[]): Promise<number>;
  /** History transfer: the newest `limit` messages of every conversation with `timestamp >= since`, oldest (lowest id) first. */
  recent(limit: number, since: number): Promise<StoredMessage[]>;
  /** An envelope processed once is only acknowledged again. */
  isProcessed(envelopeId: string): Promise<boolean>;
  markProcessed(envelopeId: string, now: number): Promise<void>;
  // Edit and delete for everyone (src/edits/):
  /** Replaces the content bytes of message `id` (an edit's new text, a delete's tombstone); SQLite overwrites the old bytes (secure_delete). */
  replaceContent(id: number, content: Uint8Array): Promise<void>;
  /** The first (lowest id) message of `peer` written by account `author` with sender timestamp `timestamp`. */
  findByRef(peer: string, author: string, timestamp: number): Promise<StoredMessage | undefined>;
}


/** Sealed envelopes awaiting the relay's acceptance. */
export interface OutboxStore {
  add(entry: OutboxEntry): Promise<void>;
  /** Every pending batch, in the order they were added. */
  batches(): Promise<OutboxEntry[][]>;
  removeBatch(batchId: string): Promise<void>;
  /**
   * Parks the history row of an outgoing message with its outbox batch; it
   * moves into the history (`takeParked` + `history.add`) in the same
   * transaction that removes the batch after the relay accepted it.
   */
  park(batchId: string, message: NewMessage): Promise<void>;
  /** Removes and returns the parked history row of a batch, if any. */
  takeParked(batchId: string): Promise<NewMessage | undefined>;
}

/** Small key/value settings (schedules, counters the SDK keeps). */
export interface SettingsStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** Contacts' profile keys. */
export interface ContactStore {
  get(account: string): Promise<Contact | undefined>;
  set(contact: Contact): Promise<void>;
}

/** An envelope that could not be processed, kept instead of being dropped (see `QuarantineStore`). */
export interface QuarantinedEnvelope {
  /** The relay's envelope id. */
  readonly envelopeId: string;
  /** The sealed envelope bytes exactly as received. */
  readonly content: Uint8Array;
  /** When the relay accepted it, ms. */
  readonly receivedAt: number;
  /** When it was (last) put into quarantine, ms. */
  readonly quarantinedAt: number;
  /** The sending device, when the sealed layer opened and its certificate was valid; undefined otherwise. */
  readonly sender: DeviceAddress | undefined;
  /** The error code of the last failure (e.g. `NO_SESSION`, `BAD_MAC`, `INVALID_CERTIFICATE`). */
  readonly reason: string;
  /** The error message of the last failure (no secrets). */
  readonly detail: string;
  /** How many times processing it failed. */
  readonly attempts: number;
}

/** Envelopes that could not be decrypted, kept locally (bounded; oldest evicted first) to be retried. */
export interface QuarantineStore {
  /** Adds (or, for a known envelope id, replaces with `attempts` + 1) an entry. */
  put(entry: Omit<QuarantinedEnvelope, 'attempts'>): Promise<void>;
  get(envelopeId: string): Promise<QuarantinedEnvelope | undefined>;
  /** Every entry, oldest first. */
  list(): Promise<QuarantinedEnvelope[]>;
  /** Removes an entry; true when it existed. */
  remove(envelopeId: string): Promise<boolean>;
  /** Number of entries and total bytes of their envelopes. */
  totals(): Promise<{ count: number; bytes: number }>;
}

/** One sent message as one device of the recipient got it, kept so it can be resent on a retry request. */
export interface SentLogEntry {
  /** The recipient device. */
  readonly recipient: DeviceAddress;
  /** Our sender ratchet key in the message (33 bytes): what the recipient's retry request names. */
  readonly ratchetKey: Uint8Array;
  /** The content timestamp, ms. */
  readonly timestamp: number;
  /** The plaintext `Content` as sent (unpadded). */
  readonly content: Uint8Array;
  /** When it was sent, ms. */
  readonly sentAt: number;
  /** How many times this content was already resent to this device (a resend that fails again stops at a bound). */
  readonly resends: number;
}

/** Recently sent messages per recipient device (bounded), for resending after a decryption-error message. */
export interface SentLogStore {
  add(entry: SentLogEntry): Promise<void>;
  /** The entries for `recipient` sent under `ratchetKey`, oldest first. */
  find(recipient: DeviceAddress, ratchetKey: Uint8Array): Promise<SentLogEntry[]>;
  /** Removes the entries for `recipient` sent under `ratchetKey`. */
  remove(recipient: DeviceAddress, ratchetKey: Uint8Array): Promise<void>;
  /** Removes the entries for `recipient` sent under `ratchetKey` with content timestamp `timestamp`. */
  removeTimestamp(recipient: DeviceAddress, ratchetKey: Uint8Array, timestamp: number): Promise<void>;
  /** Drops entries sent before `sentBefore`, then the oldest beyond `maxEntries`. */
  prune(sentBefore: number, maxEntries: number): Promise<void>;
  count(): Promise<number>;
}

/** A device that was given this device's sender key (its distribution message) for a group. */
export interface SharedWithDevice {
  readonly account: string;
  readonly device: number;
  /** Its registration id when it got it (a changed id means a new install: it gets a new one). */
  readonly registrationId: number;
}

/** A group this device knows, at the epoch it is at (see `GroupStore`). */
export interface StoredGroup {
  /** The group id, 64 hex digits. */
  readonly groupId: string;
  readonly epoch: number;
  /** The serialized, signed group change of `epoch` (the whole state). */
  readonly change: Uint8Array;
  /** This device's current sender-key distribution id (UUID text); undefined before its first send and after a rotation. */
  readonly distributionId: string | undefined;
  /** When that distribution was created, ms. */
  readonly distributionCreatedAt: number | undefined;
  /** The devices that got the current distribution message. */
  readonly sharedWith: readonly SharedWithDevice[];
  /** Set once two different changes or states for one epoch were seen: sends are refused until the app resolves it. */
  readonly conflict: { readonly epoch: number; readonly hash: Uint8Array } | undefined;
  readonly updatedAt: number;
}

/**
 * Groups: one record per group (keyed by group id) and the log of its
 * signed changes (keyed by group id + epoch), which answers other members'
 * state requests.
 */
export interface GroupStore {
  get(groupId: string): Promise<StoredGroup | undefined>;
  /** Inserts or replaces the record of `group.groupId`. */
  put(group: StoredGroup): Promise<void>;
  /** Every group, by group id. */
  list(): Promise<StoredGroup[]>;
  /** Logs the change of `epoch` (an epoch already logged keeps its first change). */
  addChange(groupId: string, epoch: number, change: Uint8Array): Promise<void>;
  /** The logged change of `epoch`, if any. */
  change(groupId: string, epoch: number): Promise<Uint8Array | undefined>;
  /** The logged changes after `epoch`, ascending, at most `limit`. */
  changesAfter(groupId: string, epoch: number, limit: number): Promise<Uint8Array[]>;
}

/**
 * Sender-key records (libsignal `SenderKeyStore`), keyed by the sending
 * device and the distribution id: our own (with the private signing key)
 * and every other member device's.
 */
export interface SenderKeyStore {
  load(sender: DeviceAddress, distributionId: string): Promise<Uint8Array | undefined>;
  store(sender: DeviceAddress, distributionId: string, record: Uint8Array): Promise<void>;
  remove(sender: DeviceAddress, distributionId: string): Promise<void>;
}

// Disappearing messages' role (its own file).
export type { ConversationTimer, ExpirationStore } from './expiration-types.ts';
// Receipts' and edits' roles (their own files).
export type { PendingDeliveryReceipt, ReceiptMessageKey, ReceiptStore, RecipientReceiptStatus } from './receipt-types.ts';
export type { EditStore, StoredEdit } from './edit-types.ts';
// Key transparency's role (its own file).
export { MAX_KT_EVIDENCE, type KtStore, type StoredKtEvidence } from './kt-types.ts';
import type { KtStore } from './kt-types.ts';
import type { ReceiptStore } from './receipt-types.ts';
import type { EditStore } from './edit-types.ts';
import type { ConversationStore } from '../conversations/store-types.ts';

/** Every role, as seen inside a transaction. */
export interface StoreRoles {
  readonly sessions: SessionStore;
  readonly identities: IdentityStore;
  readonly preKeys: OneTimePreKeyStore;
  readonly signedPreKeys: SignedPreKeyStore;
  readonly kyberPreKeys: KyberPreKeyStore;
  readonly history: HistoryStore;
  readonly outbox: OutboxStore;
  readonly settings: SettingsStore;
  readonly contacts: ContactStore;
  readonly quarantine: QuarantineStore;
  readonly sentLog: SentLogStore;
  readonly groups: GroupStore;
  readonly senderKeys: SenderKeyStore;
  readonly receipts: ReceiptStore;
  /** Earlier versions of edited messages (src/edits/). */
  readonly edits: EditStore;
  readonly expirations: ExpirationStore;
  /** Conversation summaries, history pages, search (issue 18, conversations). */
  readonly conversations: ConversationStore;
  /** Key transparency: the verifier's state and the evidence found (issue 15, src/kt/). */
  readonly kt: KtStore;
}

/** A transaction's view of the store (the same roles). */
export type StoreTransaction = StoreRoles;

/**
 * Everything the SDK persists. The roles on the store run one call at a time;
 * `transaction` makes a group of calls atomic.
 */
export interface ClientStore extends StoreRoles {
  /**
   * Runs `fn` atomically and exclusively: no other transaction (or role call)
   * on this store runs until it settles. For SQLite this is `BEGIN IMMEDIATE
   * … COMMIT`, so a second process on the same file waits too; if `fn`
   * rejects, nothing it wrote survives. Use only `tx` inside `fn` — calling
   * the store itself from inside waits for `fn` and never finishes.
   */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  /** Releases the underlying resources. */
  close(): Promise<void>;
}

/** Canonical string form of an address, used as a map and mutex key. */
export function addressKey(address: DeviceAddress): string {
  return `${address.account}.${address.device}`;
}

/** Largest prekey id (24 bits, as libsignal's wire format allows). */
export const MAX_PREKEY_ID = 0xffffff;

/** The prekey table of `kind` among `roles`. */
export function preKeyTable(roles: StoreRoles, kind: PreKeyKind): PreKeyTable {
  return kind === 'ec' ? roles.preKeys : kind === 'signed' ? roles.signedPreKeys : roles.kyberPreKeys;
}
