/**
 * Durable per-device envelope queues (better-sqlite3, WAL).
 *
 * What a row holds is exactly what the relay is allowed to know: recipient
 * account and device, the opaque sealed bytes (hence their size), arrival
 * and expiry times. Nothing about the sender exists here to be stored.
 *
 * Durability: WAL with `synchronous = NORMAL` by default — a committed
 * insert survives the relay process being killed (SIGKILL) because the WAL
 * is written before commit returns; only an OS crash/power loss can drop the
 * last transactions. Set `synchronous: 'FULL'` to fsync every commit.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

/** One queued envelope as handed to a recipient device. */
export interface StoredEnvelope {
  /** Random opaque id used to acknowledge the envelope. */
  id: string;
  /** The sealed bytes, unchanged. */
  content: Uint8Array;
  /** Arrival time at the relay (ms since epoch). */
  receivedAt: number;
}

/** A stored envelope with its queue position (for pushing it without re-reading it). */
export interface QueuedEnvelope extends StoredEnvelope {
  accountId: string;
  deviceId: number;
  /** Position in the relay-wide queue order (increasing). */
  seq: number;
}

/** An envelope to enqueue for one device. */
export interface NewEnvelope {
  accountId: string;
  deviceId: number;
  content: Uint8Array;
}

/** Storage behind the relay; the SQLite class is the embedded default. */
export interface EnvelopeStore {
  /**
   * Enqueues all envelopes atomically, or none: throws `QueueFullError`
   * when any device queue would exceed `maxQueueDepth`. Returns the stored
   * rows, in the order given.
   */
  enqueue(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number): QueuedEnvelope[];
  /** Oldest unexpired envelopes of a device, after `afterSeq` (exclusive), up to `limit`. */
  pending(accountId: string, deviceId: number, now: number, limit: number, afterSeq?: number): Array<StoredEnvelope & { seq: number }>;
  /** Deletes an envelope of this device; true if it existed. */
  acknowledge(accountId: string, deviceId: number, id: string): boolean;
  /** Deletes several envelopes of this device; returns how many existed. */
  acknowledgeMany(accountId: string, deviceId: number, ids: string[]): number;
  /** Number of queued (unexpired) envelopes for a device. */
  depth(accountId: string, deviceId: number, now: number): number;
  /** Deletes expired envelopes; returns how many. */
  deleteExpired(now: number): number;
  /** SHA-256 of the account's unidentified-access key, if registered. */
  accessKeyHash(accountId: string): Uint8Array | undefined;
  /** Registers (or replaces) the account's unidentified-access key hash. */
  setAccessKeyHash(accountId: string, hash: Uint8Array): void;
  /**
   * Runs `fn` in one transaction (calls inside nest as savepoints, so a
   * throwing inner call rolls back only its own writes).
   */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** Thrown by `enqueue` when a device queue is full; nothing was written. */
export class QueueFullError extends Error {
  constructor(readonly accountId: string, readonly deviceId: number) {
    super(`queue for device ${deviceId} is full`);
  }
}

const MIGRATIONS: string[] = [
  `CREATE TABLE envelopes (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     account_id TEXT NOT NULL,
     device_id INTEGER NOT NULL,
     content BLOB NOT NULL,
     received_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX envelopes_by_device ON envelopes (account_id, device_id, seq);
   CREATE INDEX envelopes_by_expiry ON envelopes (expires_at);
   CREATE TABLE access_keys (
     account_id TEXT PRIMARY KEY,
     key_hash BLOB NOT NULL
   );`,
  // Queue depths kept by triggers, so the per-send limit check is O(1) even
  // when a queue is nearly full (a COUNT would scan it on every send).
  `CREATE TABLE queue_depths (
     account_id TEXT NOT NULL,
     device_id INTEGER NOT NULL,
     n INTEGER NOT NULL,
     PRIMARY KEY (account_id, device_id)
   ) WITHOUT ROWID;
   INSERT INTO queue_depths (account_id, device_id, n)
     SELECT account_id, device_id, COUNT(*) FROM envelopes GROUP BY account_id, device_id;
   CREATE TRIGGER envelopes_depth_insert AFTER INSERT ON envelopes BEGIN
     INSERT INTO queue_depths (account_id, device_id, n) VALUES (NEW.account_id, NEW.device_id, 1)
       ON CONFLICT (account_id, device_id) DO UPDATE SET n = n + 1;
   END;
   CREATE TRIGGER envelopes_depth_delete AFTER DELETE ON envelopes BEGIN
     UPDATE queue_depths SET n = n - 1 WHERE account_id = OLD.account_id AND device_id = OLD.device_id;
   END;`,
];

/** Options for the SQLite store. */
export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  synchronous?: 'NORMAL' | 'FULL';
}

/** SQLite implementation of `EnvelopeStore` with versioned migrations (PRAGMA user_version). */
export class SqliteEnvelopeStore implements EnvelopeStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly enqueueTx;
  private readonly ackManyTx;

  constructor(options: SqliteStoreOptions) {
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const db = this.db;
    this.stmts = {
      insert: db.prepare(
        'INSERT INTO envelopes (id, account_id, device_id, content, received_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      depth: db.prepare('SELECT COUNT(*) AS n FROM envelopes WHERE account_id = ? AND device_id = ? AND expires_at > ?'),
      storedDepth: db.prepare('SELECT n FROM queue_depths WHERE account_id = ? AND device_id = ?'),
      pending: db.prepare(
        'SELECT seq, id, content, received_at FROM envelopes WHERE account_id = ? AND device_id = ? AND expires_at > ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      ack: db.prepare('DELETE FROM envelopes WHERE account_id = ? AND device_id = ? AND id = ?'),
      expire: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),
      getKey: db.prepare('SELECT key_hash FROM access_keys WHERE account_id = ?'),
      setKey: db.prepare(
        'INSERT INTO access_keys (account_id, key_hash) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET key_hash = excluded.key_hash',
      ),
    };
    this.enqueueTx = db.transaction((envelopes: NewEnvelope[], now: number, ttlMs: number, maxDepth: number): QueuedEnvelope[] => {
      const added = new Map<string, number>();
      for (const e of envelopes) {
        const k = `${e.accountId}\u0000${e.deviceId}`;
        added.set(k, (added.get(k) ?? 0) + 1);
      }
      for (const [k, n] of added) {
        const [accountId, device] = k.split('\u0000') as [string, string];
        // Counts stored rows: expired ones count until the next sweep removes them.
        const row = this.stmts.storedDepth.get(accountId, Number(device)) as { n: number } | undefined;
        if ((row?.n ?? 0) + n > maxDepth) throw new QueueFullError(accountId, Number(device));
      }
      const rows: QueuedEnvelope[] = [];
      for (const e of envelopes) {
        const id = this.newId();
        const seq = Number(this.stmts.insert.run(id, e.accountId, e.deviceId, e.content, now, now + ttlMs).lastInsertRowid);
        rows.push({ id, seq, accountId: e.accountId, deviceId: e.deviceId, content: e.content, receivedAt: now });
      }
      return rows;
    });
    this.ackManyTx = db.transaction((accountId: string, deviceId: number, ids: string[]): number => {
      let n = 0;
      for (const id of ids) n += this.stmts.ack.run(accountId, deviceId, id).changes;
      return n;
    });
  }

  private idPool = Buffer.alloc(0);
  private idOffset = 0;

  /** A random 128-bit envelope id (base64url), drawn from a pooled CSPRNG buffer. */
  private newId(): string {
    if (this.idOffset + 16 > this.idPool.length) {
      this.idPool = randomBytes(16 * 256);
      this.idOffset = 0;
    }
    const id = this.idPool.toString('base64url', this.idOffset, this.idOffset + 16);
    this.idPool.fill(0, this.idOffset, this.idOffset + 16);
    this.idOffset += 16;
    return id;
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  enqueue(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number): QueuedEnvelope[] {
    return this.enqueueTx(envelopes, now, ttlMs, maxQueueDepth);
  }

  pending(accountId: string, deviceId: number, now: number, limit: number, afterSeq = 0): Array<StoredEnvelope & { seq: number }> {
    const rows = this.stmts.pending.all(accountId, deviceId, now, afterSeq, limit) as Array<{
      seq: number;
      id: string;
      content: Buffer;
      received_at: number;
    }>;
    return rows.map((r) => ({ seq: r.seq, id: r.id, content: r.content, receivedAt: r.received_at }));
  }

  acknowledge(accountId: string, deviceId: number, id: string): boolean {
    return this.stmts.ack.run(accountId, deviceId, id).changes > 0;
  }

  acknowledgeMany(accountId: string, deviceId: number, ids: string[]): number {
    return this.ackManyTx(accountId, deviceId, ids);
  }

  depth(accountId: string, deviceId: number, now: number): number {
    return (this.stmts.depth.get(accountId, deviceId, now) as { n: number }).n;
  }

  deleteExpired(now: number): number {
    return this.stmts.expire.run(now).changes;
  }

  // Every send looks its recipient's key hash up; keep the hot ones in memory.
  private readonly keyCache = new Map<string, Uint8Array | undefined>();

  accessKeyHash(accountId: string): Uint8Array | undefined {
    if (this.keyCache.has(accountId)) return this.keyCache.get(accountId);
    const row = this.stmts.getKey.get(accountId) as { key_hash: Buffer } | undefined;
    if (this.keyCache.size >= 100_000) this.keyCache.clear();
    this.keyCache.set(accountId, row?.key_hash);
    return row?.key_hash;
  }

  setAccessKeyHash(accountId: string, hash: Uint8Array): void {
    this.stmts.setKey.run(accountId, hash);
    this.keyCache.set(accountId, hash);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
