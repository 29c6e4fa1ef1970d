/**
 * The client's persistent state behind one synchronous interface, with a
 * SQLite implementation (`SqliteStore`) and an in-memory one (`MemoryStore`).
 *
 * The interface is synchronous on purpose: better-sqlite3 is synchronous, so a
 * whole ratchet step — read record, run the pure protocol function, write the
 * new record and the message — runs inside one `transaction()` with no await
 * in between. Nothing can interleave with it, and a crash either keeps all of
 * it or none of it.
 *
 * Key material is stored as opaque record bytes; the SDK decides their encoding.
 */

/** A remote (or local) device: account id plus device id. */
export interface DeviceAddress {
  /** The account's service id (UUID string as the key server issues it). */
  readonly account: string;
  /** Device id within the account (1 = primary). */
  readonly device: number;
}

/** This device's long-lived identity and its credentials at the key server. */
export interface LocalAccount {
  /** Identity key pair: 32-byte private key and 33-byte serialized (0x05-prefixed) public key. */
  identityPrivateKey: Uint8Array;
  identityPublicKey: Uint8Array;
  /** libsignal registration id (14 bits, 1..16380). */
  registrationId: number;
  /** Account id, once the key server has assigned one. */
  account?: string;
  /** This device's id, once registered or linked. */
  device?: number;
  /** The device's secret for authenticating to the services. */
  deviceSecret?: string;
  /** Profile key (32 bytes) from which the unidentified-access key is derived. */
  profileKey?: Uint8Array;
}

/** A remote account's identity key as trusted on first use. */
export interface TrustedIdentity {
  /** 32-byte raw Curve25519 public key. */
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
}

/** Fields of a message to append to the history. */
export type NewMessage = Omit<StoredMessage, 'id' | 'delivered'> & { delivered?: boolean };

/** One per-device ciphertext of a pending send, kept until the relay accepts the batch. */
export interface OutboxEntry {
  readonly batchId: string;
  readonly recipient: DeviceAddress;
  readonly registrationId: number;
  /** The sealed envelope bytes for this device. */
  readonly envelope: Uint8Array;
  readonly createdAt: number;
}

/**
 * Everything the SDK persists. Every method is synchronous; `transaction`
 * makes a group of calls atomic and (for SQLite) exclusive across processes.
 */
export interface ClientStore {
  /**
   * Runs `fn` atomically. For SQLite this is `BEGIN IMMEDIATE … COMMIT`, so a
   * second process on the same file waits; if `fn` throws, nothing it wrote
   * survives. Nested calls join the outer transaction.
   */
  transaction<T>(fn: () => T): T;

  // Local identity and account credentials.
  getLocalAccount(): LocalAccount | undefined;
  setLocalAccount(account: LocalAccount): void;

  // Remote identities (trust on first use).
  getTrustedIdentity(account: string): TrustedIdentity | undefined;
  /** Trusts `identityKey` for `account`, replacing any earlier key; resets `verified` if it changed. */
  setTrustedIdentity(account: string, identityKey: Uint8Array, now: number, verified?: boolean): void;

  // Sessions, one opaque record per remote device.
  loadSession(address: DeviceAddress): Uint8Array | undefined;
  storeSession(address: DeviceAddress, record: Uint8Array): void;
  deleteSession(address: DeviceAddress): void;
  /** Device ids with a stored session for `account`, ascending. */
  sessionDevices(account: string): number[];

  // Prekeys.
  storePreKey(key: StoredPreKey): void;
  loadPreKey(kind: PreKeyKind, id: number): StoredPreKey | undefined;
  removePreKey(kind: PreKeyKind, id: number): void;
  listPreKeys(kind: PreKeyKind): StoredPreKey[];
  markPreKeyReplaced(kind: PreKeyKind, id: number, replacedAt: number): void;
  /**
   * Reserves `count` consecutive fresh ids for `kind` from a monotonic
   * counter (wrapping within 1..0xFFFFFF, skipping ids still stored), and
   * returns them. Ids are never handed out twice while in use.
   */
  allocatePreKeyIds(kind: PreKeyKind, count: number): number[];

  // Content history and inbox.
  /** Appends a message; returns its row id. Throws if its envelope id was already stored. */
  addMessage(message: NewMessage): number;
  markDelivered(id: number): void;
  /** One stored message by id. */
  getMessage(id: number): StoredMessage | undefined;
  /** Messages not yet accepted by the app (received ones and sync copies), oldest first. */
  undeliveredMessages(): StoredMessage[];
  /** History with one peer, oldest first. */
  conversation(peer: string, limit?: number): StoredMessage[];
  /** Total stored messages (for tests and tools). */
  messageCount(direction?: MessageDirection): number;

  // Envelope de-duplication: an envelope processed once is only acknowledged again.
  isEnvelopeProcessed(envelopeId: string): boolean;
  markEnvelopeProcessed(envelopeId: string, now: number): void;

  // Outbox of sealed envelopes awaiting relay acceptance.
  addOutbox(entry: OutboxEntry): void;
  outboxBatches(): OutboxEntry[][];
  removeOutboxBatch(batchId: string): void;
  /**
   * Parks the history row of an outgoing message with its outbox batch; it
   * moves into the history (`takePendingSent` + `addMessage`) in the same
   * transaction that removes the batch after the relay accepted it.
   */
  setPendingSent(batchId: string, message: NewMessage): void;
  /** Removes and returns the parked history row of a batch, if any. */
  takePendingSent(batchId: string): NewMessage | undefined;

  /** Small key/value settings (schedules, counters the SDK keeps). */
  getSetting(key: string): string | undefined;
  setSetting(key: string, value: string): void;

  /** Releases the underlying resources. */
  close(): void;
}

/** Canonical string form of an address, used as a map and mutex key. */
export function addressKey(address: DeviceAddress): string {
  return `${address.account}.${address.device}`;
}

/** Largest prekey id (24 bits, as libsignal's wire format allows). */
export const MAX_PREKEY_ID = 0xffffff;
