/**
 * The relay's storage seam: durable per-device envelope queues and the
 * accounts' unidentified-access key hashes. Every method is asynchronous and
 * domain-atomic (one method = one atomic unit), so a networked database can
 * implement it; there is no generic `transaction(fn)`.
 *
 * What a queued row holds is exactly what the relay is allowed to know:
 * recipient account and device, the opaque sealed bytes (hence their size),
 * arrival and expiry times. Nothing about the sender exists here to be stored.
 *
 * Durability contract: a write's promise resolves only after it is committed
 * (a 200 means the envelope is in the database).
 */

/** One queued envelope as handed to a recipient device. */
export interface StoredEnvelope {
  /** Random opaque id used to acknowledge the envelope. */
  id: string;
  /** The sealed bytes, unchanged. */
  content: Uint8Array;
  /** Arrival time at the relay (ms since epoch). */
  receivedAt: number;
}

/** A stored envelope with its position in the relay-wide queue order (increasing). */
export interface PendingEnvelope extends StoredEnvelope {
  seq: number;
}

/** A stored envelope with its recipient and queue position (for pushing it without re-reading it). */
export interface QueuedEnvelope extends PendingEnvelope {
  accountId: string;
  deviceId: number;
}

/**
 * Bytes that several envelopes of one send end with — a sealed sender v2
 * message's `E.pub ‖ ciphertext`, the same for every recipient — stored once
 * per send however many envelopes name the same object.
 */
export interface SharedPayload {
  readonly bytes: Uint8Array;
}

/** An envelope to enqueue for one device. */
export interface NewEnvelope {
  accountId: string;
  deviceId: number;
  /**
   * The sealed bytes; with `shared`, only this device's own part (its view),
   * and the device receives `content ‖ shared.bytes`, byte for byte what it
   * would have received had the whole envelope been given here.
   */
  content: Uint8Array;
  /** The payload this envelope shares with others of the same send (stored once, deleted with its last envelope). */
  shared?: SharedPayload;
}

/** The per-device queues (one role of the store). */
export interface EnvelopeQueue {
  /**
   * Enqueues all envelopes atomically, or none: rejects with `QueueFullError`
   * when any device queue would exceed `maxQueueDepth` envelopes or
   * `maxQueueBytes` bytes (default: no byte limit; an envelope counts the
   * bytes its device receives, shared part included). Resolves after commit
   * with the stored rows (full contents), in the order given. Concurrent
   * enqueues to one device resolve in commit order.
   */
  enqueue(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number, maxQueueBytes?: number): Promise<QueuedEnvelope[]>;
  /**
   * A window of the device queue: the oldest unexpired envelopes after
   * `afterSeq` (exclusive), up to `limit`, and stopping before the envelope
   * that would take the total content size over `maxBytes` (the first one is
   * always included).
   */
  pending(accountId: string, deviceId: number, now: number, limit: number, afterSeq?: number, maxBytes?: number): Promise<PendingEnvelope[]>;
  /** Deletes an envelope of this device; true if it existed. */
  acknowledge(accountId: string, deviceId: number, id: string): Promise<boolean>;
  /** Deletes several envelopes of this device atomically; resolves to how many existed. */
  acknowledgeMany(accountId: string, deviceId: number, ids: string[]): Promise<number>;
  /** Number of queued (unexpired) envelopes for a device. */
  depth(accountId: string, deviceId: number, now: number): Promise<number>;
  /** Deletes expired envelopes; resolves to how many. */
  deleteExpired(now: number): Promise<number>;
  /**
   * Deletes everything the relay holds for an account, atomically: every
   * device's envelopes (releasing shared payloads no other envelope
   * references), its queue counters and its access-key hash. Resolves to
   * how many envelopes were deleted (0 when there was nothing).
   */
  deleteAccount(accountId: string): Promise<number>;
}

/** The accounts' unidentified-access key hashes (the other role). */
export interface AccessKeyStore {
  /** SHA-256 of the account's unidentified-access key, if registered. */
  accessKeyHash(accountId: string): Promise<Uint8Array | undefined>;
  /** Registers (or replaces) the account's unidentified-access key hash; resolves after commit. */
  setAccessKeyHash(accountId: string, hash: Uint8Array): Promise<void>;
}

/** All queues together (a metrics figure, sampled). */
export interface QueueStats {
  /** Queued envelopes, all devices. */
  envelopes: number;
  /** Their content bytes. */
  bytes: number;
  /** Devices with at least one queued envelope. */
  devices: number;
  /** The deepest queue, envelopes. */
  maxDepth: number;
}

/** The numbers of a database connection pool (`pg.Pool` has them). */
export interface StorePool {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** Storage behind the relay; `SqliteEnvelopeStore` is the embedded default, `PostgresEnvelopeStore` the networked one. */
export interface EnvelopeStore extends EnvelopeQueue, AccessKeyStore {
  /** Commits what is pending and releases the database. */
  close(): Promise<void>;
  /** Optional readiness check for `/ready`: resolves when the database is reachable and fully migrated. */
  ready?(): Promise<void>;
  /** Optional aggregate queue figures for the metrics (may count expired, not yet swept envelopes). */
  queueStats?(): Promise<QueueStats>;
  /** Optional connection pool whose stats the metrics report (a PostgreSQL store's `pg.Pool`). */
  connectionPool?(): StorePool | undefined;
}

/** Rejection of `enqueue` when a device queue is full; nothing was written. */
export class QueueFullError extends Error {
  constructor(
    readonly accountId: string,
    readonly deviceId: number,
    /** Which limit: envelope count or bytes. */
    readonly limit: 'envelopes' | 'bytes' = 'envelopes',
  ) {
    super(`queue for device ${deviceId} is full (${limit})`);
    this.name = 'QueueFullError';
  }
}

/** Rejection of a write because the database's disk is full (SQLITE_FULL, PostgreSQL 53100); nothing was written. */
export class StorageFullError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the database disk is full', options);
    this.name = 'StorageFullError';
  }
}
