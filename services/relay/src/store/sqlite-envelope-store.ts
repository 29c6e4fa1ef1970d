/**
 * `EnvelopeStore` on embedded SQLite (better-sqlite3, WAL).
 *
 * Durability: WAL with `synchronous = NORMAL` by default — a committed write
 * survives the relay process being killed (SIGKILL) because the WAL is
 * written before commit returns; only an OS crash/power loss can drop the
 * last transactions. Set `synchronous: 'FULL'` to fsync every commit.
 *
 * Writes (enqueue, acknowledgements, access keys, expiry) are group-committed
 * (see `group-commit.ts`); reads run directly and see committed rows only.
 *
 * Shared payloads (multi-recipient sends) are rows of `shared_payloads`;
 * an envelope row holding a view references one, a read joins them, and a
 * trigger deletes the payload with its last view (schema.ts, migration 4).
 */
import Database from 'better-sqlite3';
import { QueueFullError, StorageFullError, type EnvelopeStore, type NewEnvelope, type PendingEnvelope, type QueuedEnvelope, type QueueStats, type SharedPayload } from './envelope-store.ts';
import { EnvelopeIds, deliveredSize, deviceTotals, fullContents, joinView, sharedPayloads } from './envelope-batch.ts';
import { GroupCommit } from './group-commit.ts';
import { ENVELOPE_STORE_MIGRATIONS } from './schema.ts';
import { migrateSqlite, schemaVersion, sqlMigrations } from '@sealpost/service-kit/sqlite-migrations';

const ENVELOPE_MIGRATIONS = sqlMigrations(ENVELOPE_STORE_MIGRATIONS, 'envelope store');

/** Options for the SQLite store. */
export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * Called when a write fails because the disk is full, before the write is
   * tried once more (the relay releases its reserve file here, so deletions
   * can still commit).
   */
  onDiskFull?: () => void;
}

/** True for SQLite's "database or disk is full". */
function isDiskFull(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'SQLITE_FULL';
}

/** A plain Uint8Array view of a Buffer better-sqlite3 allocated for this row alone (no copy). */
function plainBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function prepare(db: Database.Database) {
  return {
    insert: db.prepare('INSERT INTO envelopes (id, account_id, device_id, content, shared_id, size, received_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    insertShared: db.prepare('INSERT INTO shared_payloads (content, refs, expires_at) VALUES (?, ?, ?)'),
    depth: db.prepare('SELECT COUNT(*) AS n FROM envelopes WHERE account_id = ? AND device_id = ? AND expires_at > ?'),
    storedDepth: db.prepare('SELECT n, bytes FROM queue_depths WHERE account_id = ? AND device_id = ?'),
    sizes: db.prepare(
      'SELECT size AS n FROM envelopes WHERE account_id = ? AND device_id = ? AND expires_at > ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    pending: db.prepare(
      `SELECT e.seq, e.id, e.content, s.content AS shared, e.received_at FROM envelopes e LEFT JOIN shared_payloads s ON s.id = e.shared_id
        WHERE e.account_id = ? AND e.device_id = ? AND e.expires_at > ? AND e.seq > ? ORDER BY e.seq LIMIT ?`,
    ),
    ack: db.prepare('DELETE FROM envelopes WHERE account_id = ? AND device_id = ? AND id = ?'),
    // A view's deletion releases its shared payload (trigger); payloads expire with their views.
    expire: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),
    expireShared: db.prepare('DELETE FROM shared_payloads WHERE expires_at <= ?'),
    getKey: db.prepare('SELECT key_hash FROM access_keys WHERE account_id = ?'),
    // Account deletion: the envelopes' delete trigger releases their shared payloads.
    deleteAccountEnvelopes: db.prepare('DELETE FROM envelopes WHERE account_id = ?'),
    deleteAccountDepths: db.prepare('DELETE FROM queue_depths WHERE account_id = ?'),
    deleteAccountKey: db.prepare('DELETE FROM access_keys WHERE account_id = ?'),
    setKey: db.prepare(
      'INSERT INTO access_keys (account_id, key_hash) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET key_hash = excluded.key_hash',
    ),
  };
}

/** SQLite implementation of `EnvelopeStore`, migrated by PRAGMA user_version. */
export class SqliteEnvelopeStore implements EnvelopeStore {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly writes: GroupCommit;
  private readonly ids = new EnvelopeIds();

  private readonly onDiskFull: (() => void) | undefined;

  constructor(options: SqliteStoreOptions) {
    this.db = new Database(options.path);
    this.onDiskFull = options.onDiskFull;
    // Freed pages can be given back to the file system (only takes effect on a new database).
    this.db.pragma('auto_vacuum = INCREMENTAL');
    this.db.pragma('journal_mode = WAL');
    // A checkpointed WAL is cut back to this size instead of keeping its largest size forever.
    this.db.pragma(`journal_size_limit = ${4 * 1024 * 1024}`);
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    migrateSqlite(this.db, ENVELOPE_MIGRATIONS);
    this.stmts = prepare(this.db);
    this.writes = new GroupCommit(this.db);
  }

  /** Shared write transactions committed so far (group commit; for tests and metrics). */
  get commits(): number {
    return this.writes.commits;
  }

  enqueue(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number, maxQueueBytes = Number.POSITIVE_INFINITY): Promise<QueuedEnvelope[]> {
    // A full disk refuses new envelopes (no retry: they are what fills it).
    return this.writes.run(() => this.insertAll(envelopes, now, ttlMs, maxQueueDepth, maxQueueBytes)).catch((e: unknown) => {
      throw isDiskFull(e) ? new StorageFullError({ cause: e }) : e;
    });
  }

  /**
   * A write that must work on a full disk (acknowledgements, expiry): on
   * SQLITE_FULL the owner frees space (`onDiskFull`) and it is tried once more.
   */
  private async freeingWrite<T>(fn: () => T): Promise<T> {
    try {
      return await this.writes.run(fn);
    } catch (e) {
      if (!isDiskFull(e) || this.onDiskFull === undefined) throw isDiskFull(e) ? new StorageFullError({ cause: e }) : e;
      this.onDiskFull();
      try {
        return await this.writes.run(fn);
      } catch (again) {
        throw isDiskFull(again) ? new StorageFullError({ cause: again }) : again;
      }
    }
  }

  /** The body of one enqueue (runs inside a savepoint of the shared transaction). */
  private insertAll(envelopes: NewEnvelope[], now: number, ttlMs: number, maxDepth: number, maxBytes: number): QueuedEnvelope[] {
    for (const { accountId, deviceId, n, bytes } of deviceTotals(envelopes)) {
      // Counts stored rows: expired ones count until the next sweep removes them.
      const row = this.stmts.storedDepth.get(accountId, deviceId) as { n: number; bytes: number } | undefined;
      if ((row?.n ?? 0) + n > maxDepth) throw new QueueFullError(accountId, deviceId, 'envelopes');
      if ((row?.bytes ?? 0) + bytes > maxBytes) throw new QueueFullError(accountId, deviceId, 'bytes');
    }
    const expiresAt = now + ttlMs;
    const sharedIds = new Map<SharedPayload, number>();
    for (const [p, refs] of sharedPayloads(envelopes)) {
      sharedIds.set(p, Number(this.stmts.insertShared.run(p.bytes, refs, expiresAt).lastInsertRowid));
    }
    const contents = fullContents(envelopes);
    const rows: QueuedEnvelope[] = [];
    envelopes.forEach((e, i) => {
      const id = this.ids.next();
      const shared = e.shared === undefined ? null : sharedIds.get(e.shared)!;
      const seq = Number(this.stmts.insert.run(id, e.accountId, e.deviceId, e.content, shared, deliveredSize(e), now, expiresAt).lastInsertRowid);
      rows.push({ id, seq, accountId: e.accountId, deviceId: e.deviceId, content: contents[i]!, receivedAt: now });
    });
    return rows;
  }

  async pending(accountId: string, deviceId: number, now: number, limit: number, afterSeq = 0, maxBytes = Number.POSITIVE_INFINITY): Promise<PendingEnvelope[]> {
    if (limit <= 0) return [];
    if (Number.isFinite(maxBytes)) {
      // Sizes first (length() of a blob does not read it), then only the rows that fit.
      const sizes = this.stmts.sizes.all(accountId, deviceId, now, afterSeq, limit) as Array<{ n: number }>;
      let total = 0;
      let fit = 0;
      for (const { n } of sizes) {
        if (fit > 0 && total + n > maxBytes) break;
        total += n;
        fit++;
      }
      limit = Math.max(1, fit);
    }
    const rows = this.stmts.pending.all(accountId, deviceId, now, afterSeq, limit) as Array<{
      seq: number;
      id: string;
      content: Buffer;
      shared: Buffer | null;
      received_at: number;
    }>;
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      content: r.shared === null ? plainBytes(r.content) : joinView(r.content, r.shared),
      receivedAt: r.received_at,
    }));
  }

  acknowledge(accountId: string, deviceId: number, id: string): Promise<boolean> {
    return this.freeingWrite(() => this.stmts.ack.run(accountId, deviceId, id).changes > 0);
  }

  acknowledgeMany(accountId: string, deviceId: number, ids: string[]): Promise<number> {
    return this.freeingWrite(() => {
      let n = 0;
      for (const id of ids) n += this.stmts.ack.run(accountId, deviceId, id).changes;
      return n;
    });
  }

  async depth(accountId: string, deviceId: number, now: number): Promise<number> {
    return (this.stmts.depth.get(accountId, deviceId, now) as { n: number }).n;
  }

  deleteExpired(now: number): Promise<number> {
    return this.freeingWrite(() => {
      const n = this.stmts.expire.run(now).changes;
      this.stmts.expireShared.run(now);
      return n;
    });
  }

  deleteAccount(accountId: string): Promise<number> {
    return this.freeingWrite(() => {
      this.stmts.deleteAccountKey.run(accountId);
      const n = this.stmts.deleteAccountEnvelopes.run(accountId).changes;
      this.stmts.deleteAccountDepths.run(accountId);
      return n;
    });
  }

  /**
   * Gives space freed by deletions back to the file system: commits pending
   * writes, moves the WAL into the database and truncates it, and returns
   * free pages (incremental vacuum; databases created before auto_vacuum was
   * set keep their free pages for reuse instead).
   */
  reclaim(): void {
    if (!this.db.open) return;
    this.writes.flush();
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (e) {
      // No room even for that: the next check tries again.
      if (!isDiskFull(e)) throw e;
    }
  }

  async accessKeyHash(accountId: string): Promise<Uint8Array | undefined> {
    const row = this.stmts.getKey.get(accountId) as { key_hash: Buffer } | undefined;
    return row === undefined ? undefined : plainBytes(row.key_hash);
  }

  setAccessKeyHash(accountId: string, hash: Uint8Array): Promise<void> {
    return this.writes.run(() => {
      this.stmts.setKey.run(accountId, hash);
    });
  }

  /** Readiness: the database answers and its schema is the newest this code knows (`/ready`). */
  async ready(): Promise<void> {
    if (!this.db.open) throw new Error('the database is closed');
    const version = schemaVersion(this.db);
    if (version !== ENVELOPE_MIGRATIONS.length) throw new Error(`schema version ${version}, expected ${ENVELOPE_MIGRATIONS.length}`);
  }

  /** All queues together, from the trigger-kept per-device counters (one row per device, no envelope scan). */
  async queueStats(): Promise<QueueStats> {
    const row = this.db
      .prepare('SELECT COALESCE(SUM(n), 0) AS envelopes, COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS devices, COALESCE(MAX(n), 0) AS maxDepth FROM queue_depths WHERE n > 0')
      .get() as QueueStats;
    return { envelopes: row.envelopes, bytes: row.bytes, devices: row.devices, maxDepth: row.maxDepth };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    // Writes already asked for are committed (and their callers answered) first.
    this.writes.flush();
    this.db.close();
  }
}
