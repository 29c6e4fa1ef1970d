/**
 * `EnvelopeStore` on PostgreSQL (`pg`), for relays that run as several
 * instances on one database. Schema and distribution notes: pg-schema.ts.
 *
 * Limits are exact across instances: an enqueue is one statement
 * (`relay_enqueue`) that first upserts the depth counters of every device it
 * writes to (devices in key order), which locks those rows to its end, and
 * checks the new totals; over a limit it raises and nothing is written. Two
 * enqueues to one device therefore serialize, and a device's `seq` values
 * (drawn after the lock) increase in commit order. An acknowledgement is one
 * statement too (`relay_ack`), shared payloads released with it.
 *
 * Durability: a write's promise resolves after COMMIT returned.
 */
import type pg from 'pg';
import { migratePostgres, openPgPool, pgSchemaVersion, withPgTransaction, type PgPoolOptions } from '@sealpost/service-kit/postgres';
import { QueueFullError, type EnvelopeStore, type NewEnvelope, type PendingEnvelope, type QueuedEnvelope, type QueueStats, type SharedPayload } from './envelope-store.ts';
import { EnvelopeIds, deliveredSize, fullContents, joinView, sharedPayloads } from './envelope-batch.ts';
import { DeviceSerializer } from './device-serializer.ts';
import { pgWrite, sqlState } from './pg-errors.ts';
import { RELAY_PG_COMPONENT, RELAY_PG_MIGRATIONS } from './pg-schema.ts';
import { PG_SQL } from './pg-statements.ts';

/** How to reach the database: a pool to share, or the options to open one (closed with the store). */
export type PostgresStoreOptions = { pool: pg.Pool } | (PgPoolOptions & { onPoolError?: (error: Error) => void });

/** A bytea column as a plain Uint8Array view (pg allocates a Buffer per value). */
function plainBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Expired rows deleted per statement by the sweep. */
const EXPIRY_BATCH = 5000;

/** `relay_enqueue`'s refusal as a `QueueFullError` (undefined for any other error). */
function queueFull(e: unknown): QueueFullError | undefined {
  if (sqlState(e) !== 'P0001' || (e as Error).message !== 'relay queue full') return undefined;
  const d = JSON.parse((e as { detail?: string }).detail ?? '{}') as { accountId: string; deviceId: number; limit: 'envelopes' | 'bytes' };
  return new QueueFullError(d.accountId, d.deviceId, d.limit);
}

/** PostgreSQL implementation of `EnvelopeStore`; open with `PostgresEnvelopeStore.open`, which migrates. */
export class PostgresEnvelopeStore implements EnvelopeStore {
  private readonly ids = new EnvelopeIds();
  private readonly serial = new DeviceSerializer();
  /** Operations under way: `close` lets them finish before it ends the pool. */
  private readonly running = new Set<Promise<unknown>>();
  /** Acknowledgements under way per device: that device's reads wait for them (it never sees what it acknowledged). */
  private readonly acking = new Map<string, Set<Promise<unknown>>>();
  private closed = false;

  private constructor(
    /** The pool (shared with whatever else the relay keeps in this database). */
    readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
  ) {}

  /** Connects (or takes the pool given) and brings the schema up to date. */
  static async open(options: PostgresStoreOptions): Promise<PostgresEnvelopeStore> {
    const owns = !('pool' in options);
    const pool = 'pool' in options ? options.pool : openPgPool({ applicationName: 'sealpost-relay', ...options }, options.onPoolError);
    try {
      await migratePostgres(pool, RELAY_PG_MIGRATIONS, { component: RELAY_PG_COMPONENT });
    } catch (e) {
      if (owns) await pool.end();
      throw e;
    }
    return new PostgresEnvelopeStore(pool, owns);
  }

  /** Runs `op`, so that `close` waits for it. */
  private track<T>(op: Promise<T>): Promise<T> {
    this.running.add(op);
    const done = (): void => void this.running.delete(op);
    op.then(done, done);
    return op;
  }

  enqueue(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number, maxQueueBytes = Number.POSITIVE_INFINITY): Promise<QueuedEnvelope[]> {
    return this.track(this.enqueueInOrder(envelopes, now, ttlMs, maxQueueDepth, maxQueueBytes));
  }

  private enqueueInOrder(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number, maxQueueBytes: number): Promise<QueuedEnvelope[]> {
    if (envelopes.length === 0) return Promise.resolve([]);
    const devices = envelopes.map((e) => `${e.accountId}\u0000${e.deviceId}`);
    return this.serial.run(devices, () => this.insert(envelopes, now, ttlMs, maxQueueDepth, maxQueueBytes));
  }

  /** One statement (`relay_enqueue`): limits checked under the devices' locked depth rows, all or nothing. */
  private async insert(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number, maxQueueBytes: number): Promise<QueuedEnvelope[]> {
    const ids = envelopes.map(() => this.ids.next());
    const shared = [...sharedPayloads(envelopes)];
    const sharedIndex = new Map<SharedPayload, number>(shared.map(([p], i) => [p, i + 1]));
    let result: pg.QueryResult<{ envelope_id: string; envelope_seq: string }>;
    try {
      result = await pgWrite(() =>
        this.pool.query<{ envelope_id: string; envelope_seq: string }>(PG_SQL.enqueue, [
          envelopes.map((e) => e.accountId),
          envelopes.map((e) => e.deviceId),
          ids,
          envelopes.map((e) => e.content),
          envelopes.map((e) => (e.shared === undefined ? null : sharedIndex.get(e.shared)!)),
          envelopes.map(deliveredSize),
          shared.map(([p]) => p.bytes),
          shared.map(([, refs]) => refs),
          now,
          now + ttlMs,
          Math.min(maxQueueDepth, 2 ** 31 - 1),
          Number.isFinite(maxQueueBytes) ? Math.floor(maxQueueBytes) : null,
        ]),
      );
    } catch (e) {
      throw queueFull(e) ?? e;
    }
    const seqs = new Map(result.rows.map((r) => [r.envelope_id, Number(r.envelope_seq)]));
    const contents = fullContents(envelopes);
    return envelopes.map((e, i) => ({ id: ids[i]!, seq: seqs.get(ids[i]!)!, accountId: e.accountId, deviceId: e.deviceId, content: contents[i]!, receivedAt: now }));
  }

  async pending(accountId: string, deviceId: number, now: number, limit: number, afterSeq = 0, maxBytes = Number.POSITIVE_INFINITY): Promise<PendingEnvelope[]> {
    if (limit <= 0) return [];
    const acks = this.acking.get(`${accountId}\u0000${deviceId}`);
    if (acks !== undefined) await Promise.allSettled([...acks]);
    const rows = (
      await this.pool.query<{ seq: string; id: string; content: Buffer; shared_id: string | null; received_at: string }>(PG_SQL.pending, [
        accountId,
        deviceId,
        now,
        afterSeq,
        limit,
        Number.isFinite(maxBytes) ? Math.max(0, Math.floor(maxBytes)) : null,
      ])
    ).rows;
    const wanted = [...new Set(rows.flatMap((r) => (r.shared_id === null ? [] : [r.shared_id])))];
    const shared = new Map<string, Buffer>();
    if (wanted.length > 0) {
      for (const s of (await this.pool.query<{ id: string; content: Buffer }>(PG_SQL.shared, [wanted])).rows) shared.set(s.id, s.content);
    }
    const out: PendingEnvelope[] = [];
    for (const r of rows) {
      let content = plainBytes(r.content);
      if (r.shared_id !== null) {
        const s = shared.get(r.shared_id);
        // Gone only when every view of it was deleted meanwhile (this one included): skip it.
        if (s === undefined) continue;
        content = joinView(content, s);
      }
      out.push({ seq: Number(r.seq), id: r.id, content, receivedAt: Number(r.received_at) });
    }
    return out;
  }

  async acknowledge(accountId: string, deviceId: number, id: string): Promise<boolean> {
    return (await this.acknowledgeMany(accountId, deviceId, [id])) > 0;
  }

  acknowledgeMany(accountId: string, deviceId: number, ids: string[]): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    const key = `${accountId}\u0000${deviceId}`;
    const op = this.track(this.deleteViews(accountId, deviceId, ids));
    let set = this.acking.get(key);
    if (set === undefined) this.acking.set(key, (set = new Set()));
    set.add(op);
    const done = (): void => {
      set.delete(op);
      if (set.size === 0 && this.acking.get(key) === set) this.acking.delete(key);
    };
    op.then(done, done);
    return op;
  }

  private async deleteViews(accountId: string, deviceId: number, ids: string[]): Promise<number> {
    return (await pgWrite(() => this.pool.query<{ n: number }>(PG_SQL.ack, [accountId, deviceId, ids]))).rows[0]!.n;
  }

  async depth(accountId: string, deviceId: number, now: number): Promise<number> {
    return (await this.pool.query<{ n: number }>(PG_SQL.depth, [accountId, deviceId, now])).rows[0]!.n;
  }

  deleteExpired(now: number): Promise<number> {
    return this.track(this.expire(now));
  }

  /** In batches of `EXPIRY_BATCH` rows, one statement each, so no statement outlasts the statement timeout. */
  private async expire(now: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = (await pgWrite(() => this.pool.query<{ n: number }>(PG_SQL.expire, [now, EXPIRY_BATCH]))).rows[0]!.n;
      total += n;
      if (n < EXPIRY_BATCH) break;
    }
    while ((await pgWrite(() => this.pool.query(PG_SQL.expireShared, [now, EXPIRY_BATCH]))).rowCount === EXPIRY_BATCH);
    return total;
  }

  deleteAccount(accountId: string): Promise<number> {
    return this.track(
      pgWrite(() =>
        withPgTransaction(this.pool, async (c) => {
          await c.query(PG_SQL.deleteAccountKey, [accountId]);
          const { n, shared } = (await c.query<{ n: number; shared: string[] | null }>(PG_SQL.deleteAccountEnvelopes, [accountId])).rows[0]!;
          if (shared !== null) await c.query(PG_SQL.deleteUnreferencedShared, [shared]);
          await c.query(PG_SQL.deleteAccountDepths, [accountId]);
          await c.query(PG_SQL.deleteAccountBuckets, [accountId]);
          return n;
        }),
      ),
    );
  }

  async accessKeyHash(accountId: string): Promise<Uint8Array | undefined> {
    const row = (await this.pool.query<{ key_hash: Buffer }>(PG_SQL.getKey, [accountId])).rows[0];
    return row === undefined ? undefined : plainBytes(row.key_hash);
  }

  async setAccessKeyHash(accountId: string, hash: Uint8Array): Promise<void> {
    await this.track(pgWrite(() => this.pool.query(PG_SQL.setKey, [accountId, hash])));
  }

  /** Readiness: the database answers and its schema is the newest this code knows (`/ready`). */
  async ready(): Promise<void> {
    if (this.closed) throw new Error('the database is closed');
    const version = await pgSchemaVersion(this.pool, RELAY_PG_COMPONENT);
    if (version !== RELAY_PG_MIGRATIONS.length) throw new Error(`schema version ${version}, expected ${RELAY_PG_MIGRATIONS.length}`);
  }

  /** All queues together, from the per-device counters (one row per device, no envelope scan). */
  async queueStats(): Promise<QueueStats> {
    const r = await this.pool.query<{ envelopes: string; bytes: string; devices: string; max_depth: string }>(
      'SELECT COALESCE(SUM(n), 0) AS envelopes, COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS devices, COALESCE(MAX(n), 0) AS max_depth FROM relay_queue_depths WHERE n > 0',
    );
    const row = r.rows[0]!;
    return { envelopes: Number(row.envelopes), bytes: Number(row.bytes), devices: Number(row.devices), maxDepth: Number(row.max_depth) };
  }

  /** The pool whose numbers the metrics report. */
  connectionPool(): pg.Pool {
    return this.pool;
  }

  /** Lets the writes under way commit (and their callers hear so), then ends the pool if the store opened it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.running]);
    if (this.ownsPool) await this.pool.end();
  }
}
