/**
 * `EnvelopeStore` on PostgreSQL (`pg`), for relays that run as several
 * instances on one database. Schema and distribution notes: pg-schema.ts.
 *
 * Limits are exact across instances: an enqueue first upserts the depth
 * counters of every device it writes to (one statement, devices in key
 * order), which locks those rows to the end of the transaction, and checks
 * the new totals; over a limit it rolls back. Two enqueues to one device
 * therefore serialize, and a device's `seq` values (drawn after the lock)
 * increase in commit order, which the WebSocket push relies on.
 *
 * Durability: a write's promise resolves after COMMIT returned.
 */
import type pg from 'pg';
import { migratePostgres, openPgPool, withPgTransaction, type PgPoolOptions } from '@sealpost/service-kit/postgres';
import { QueueFullError, type EnvelopeStore, type NewEnvelope, type PendingEnvelope, type QueuedEnvelope, type SharedPayload } from './envelope-store.ts';
import { EnvelopeIds, deliveredSize, deviceTotals, fullContents, joinView, sharedPayloads } from './envelope-batch.ts';
import { DeviceCommitOrder, type CommitTicket } from './commit-order.ts';
import { pgWrite } from './pg-errors.ts';
import { RELAY_PG_COMPONENT, RELAY_PG_MIGRATIONS } from './pg-schema.ts';
import { PG_SQL } from './pg-statements.ts';

/** How to reach the database: a pool to share, or the options to open one (closed with the store). */
export type PostgresStoreOptions = { pool: pg.Pool } | (PgPoolOptions & { onPoolError?: (error: Error) => void });

/** A bytea column as a plain Uint8Array view (pg allocates a Buffer per value). */
function plainBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** PostgreSQL implementation of `EnvelopeStore`; open with `PostgresEnvelopeStore.open`, which migrates. */
export class PostgresEnvelopeStore implements EnvelopeStore {
  private readonly ids = new EnvelopeIds();
  private readonly order = new DeviceCommitOrder();
  /** Operations under way: `close` lets them finish before it ends the pool. */
  private readonly running = new Set<Promise<unknown>>();
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

  private async enqueueInOrder(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number, maxQueueBytes: number): Promise<QueuedEnvelope[]> {
    if (envelopes.length === 0) return [];
    let ticket: CommitTicket | undefined;
    try {
      const rows = await this.write(envelopes, now, ttlMs, maxQueueDepth, maxQueueBytes, (t) => {
        if (ticket !== undefined) this.order.release(ticket);
        ticket = t;
      });
      await this.order.turn(ticket!);
      return rows;
    } finally {
      if (ticket !== undefined) this.order.release(ticket);
    }
  }

  /** The enqueue transaction; `registered` gets the commit-order ticket as soon as the rows have their seqs. */
  private write(envelopes: NewEnvelope[], now: number, ttlMs: number, maxQueueDepth: number, maxQueueBytes: number, registered: (t: CommitTicket) => void): Promise<QueuedEnvelope[]> {
    const totals = deviceTotals(envelopes).sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.deviceId - b.deviceId));
    const ids = envelopes.map(() => this.ids.next());
    const expiresAt = now + ttlMs;
    return pgWrite(() =>
      withPgTransaction(this.pool, async (client) => {
        const depths = await client.query<{ account_id: string; device_id: number; n: number; bytes: string }>(PG_SQL.reserve, [
          totals.map((t) => t.accountId),
          totals.map((t) => t.deviceId),
          totals.map((t) => t.n),
          totals.map((t) => t.bytes),
        ]);
        // Counts stored rows: expired ones count until the next sweep removes them.
        for (const row of depths.rows) {
          if (row.n > maxQueueDepth) throw new QueueFullError(row.account_id, row.device_id, 'envelopes');
          if (Number(row.bytes) > maxQueueBytes) throw new QueueFullError(row.account_id, row.device_id, 'bytes');
        }
        const sharedIds = new Map<SharedPayload, string>();
        for (const [s, refs] of sharedPayloads(envelopes)) {
          const r = await client.query<{ id: string }>(PG_SQL.insertShared, [s.bytes, refs, expiresAt]);
          sharedIds.set(s, r.rows[0]!.id);
        }
        const inserted = await client.query<{ id: string; seq: string }>(PG_SQL.insertEnvelopes, [
          envelopes.map((e) => e.accountId),
          envelopes.map((e) => e.deviceId),
          ids,
          envelopes.map((e) => e.content),
          envelopes.map((e) => (e.shared === undefined ? null : sharedIds.get(e.shared)!)),
          envelopes.map(deliveredSize),
          now,
          expiresAt,
        ]);
        const seqs = new Map(inserted.rows.map((r) => [r.id, Number(r.seq)]));
        const contents = fullContents(envelopes);
        const rows = envelopes.map((e, i) => ({ id: ids[i]!, seq: seqs.get(ids[i]!)!, accountId: e.accountId, deviceId: e.deviceId, content: contents[i]!, receivedAt: now }));
        registered(this.order.register(rows.map((r) => ({ key: `${r.accountId}\u0000${r.deviceId}`, seq: r.seq }))));
        return rows;
      }),
    );
  }

  async pending(accountId: string, deviceId: number, now: number, limit: number, afterSeq = 0, maxBytes = Number.POSITIVE_INFINITY): Promise<PendingEnvelope[]> {
    if (limit <= 0) return [];
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
    return this.track(this.deleteViews(accountId, deviceId, ids));
  }

  private deleteViews(accountId: string, deviceId: number, ids: string[]): Promise<number> {
    return pgWrite(() =>
      withPgTransaction(this.pool, async (client) => {
        const gone = (await client.query<{ n: number; shared: string[] | null }>(PG_SQL.ack, [accountId, deviceId, ids])).rows[0]!;
        if (gone.shared !== null && gone.shared.length > 0) {
          const emptied = (await client.query<{ id: string }>(PG_SQL.releaseShared, [gone.shared])).rows.map((r) => r.id);
          if (emptied.length > 0) await client.query(PG_SQL.deleteShared, [emptied]);
        }
        return gone.n;
      }),
    );
  }

  async depth(accountId: string, deviceId: number, now: number): Promise<number> {
    return (await this.pool.query<{ n: number }>(PG_SQL.depth, [accountId, deviceId, now])).rows[0]!.n;
  }

  deleteExpired(now: number): Promise<number> {
    return this.track(this.expire(now));
  }

  private expire(now: number): Promise<number> {
    return pgWrite(() =>
      withPgTransaction(this.pool, async (client) => {
        const n = (await client.query<{ n: number }>(PG_SQL.expire, [now])).rows[0]!.n;
        // A shared payload expires with its views (one enqueue gives them one expiry).
        await client.query(PG_SQL.expireShared, [now]);
        return n;
      }),
    );
  }

  async accessKeyHash(accountId: string): Promise<Uint8Array | undefined> {
    const row = (await this.pool.query<{ key_hash: Buffer }>(PG_SQL.getKey, [accountId])).rows[0];
    return row === undefined ? undefined : plainBytes(row.key_hash);
  }

  async setAccessKeyHash(accountId: string, hash: Uint8Array): Promise<void> {
    await this.track(pgWrite(() => this.pool.query(PG_SQL.setKey, [accountId, hash])));
  }

  /** Lets the writes under way commit (and their callers hear so), then ends the pool if the store opened it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.running]);
    if (this.ownsPool) await this.pool.end();
  }
}
