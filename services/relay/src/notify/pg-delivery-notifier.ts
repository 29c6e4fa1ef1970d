/**
 * `DeliveryNotifier` over PostgreSQL LISTEN/NOTIFY, for several relay
 * instances on one database.
 *
 * Listening: one dedicated `pg.Client` (not from a pool — a pooled
 * connection is handed to other queries and its LISTEN would go with it)
 * runs `LISTEN <channel>`. When it fails (server restart, network, a
 * terminated backend) or stops answering the periodic `SELECT 1`, the
 * notifier is not `live` and reconnects with exponential backoff (100 ms
 * doubling to 5 s, with jitter). Every notice published while it was away is
 * lost to it, so after each (re)connect it resyncs: every local socket
 * re-reads its queue (`wakeAll`) and the handlers forget what notices would
 * have invalidated (access-key cache, mailboxes are looked at again).
 *
 * Publishing: after the enqueue has committed, not inside its transaction.
 * - A transaction that NOTIFYs takes a database-wide lock at commit, held
 *   through the commit's WAL flush: inside the enqueue it would serialize
 *   every enqueue commit of every instance.
 * - The store seam (`EnvelopeStore.enqueue`) stays the same for SQLite and
 *   PostgreSQL: the store knows nothing of notices.
 * - What the gap costs: an instance killed between the commit and its
 *   NOTIFY loses a wake-up, never an envelope. The envelope is in the
 *   database; the receiving socket reads it at its next wake (the next
 *   envelope for the device, an acknowledgement, a reconnect).
 * Notices of one event-loop turn go out as one statement
 * (`SELECT pg_notify(channel, p) FROM unnest($2)`), duplicates removed, on a
 * small pool of its own; a failed batch is retried twice, then dropped (and
 * logged: receivers catch up at their next wake, as above).
 *
 * An instance ignores its own notices (it handled them when it published).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import { openPgPool } from '@sealpost/service-kit/postgres';
import { DeliveryHub, type DeliveryListener, type DeliveryNotifier, type RelayNoticeHandlers } from '../delivery-hub.ts';
import type { QueuedEnvelope } from '../store/index.ts';
import { decodeNotice, encodeNotice, type RelayNotice } from './notice-codec.ts';

/** How the notifier reaches PostgreSQL. */
export interface PostgresNotifierOptions {
  /** postgres://… of the relay's database (the one its instances share). */
  url: string;
  /** NOTIFY channel (default `sealpost_relay`); instances of one deployment share it. */
  channel?: string;
  /** First reconnect delay, ms (default 100; doubles per failed attempt). */
  reconnectInitialMs?: number;
  /** Longest reconnect delay, ms (default 5000). */
  reconnectMaxMs?: number;
  /** How often the listening connection is checked with `SELECT 1`, ms (default 5000). */
  healthCheckMs?: number;
  /** Connections of the publishing pool (default 2). */
  publishConnections?: number;
}

/** What the notifier has done (for tests, health and benchmarks). */
export interface NotifierStats {
  /** Successful LISTENs (the first connection included). */
  connects: number;
  /** Notices published by this instance. */
  published: number;
  /** Notices received from other instances. */
  received: number;
  /** Payloads on the channel that were not notices. */
  rejected: number;
  /** Batches dropped after their retries failed. */
  droppedBatches: number;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
const PUBLISH_ATTEMPTS = 3;

type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error' | 'debug'>;

/** Cross-instance `DeliveryNotifier` on PostgreSQL LISTEN/NOTIFY. */
export class PostgresDeliveryNotifier implements DeliveryNotifier {
  /** This instance's name in notices (random per process). */
  readonly instance = randomBytes(9).toString('base64url');
  /** The publishing pool (also lent to the provisioning mailboxes; closed with the notifier). */
  readonly pool: pg.Pool;
  readonly stats: NotifierStats = { connects: 0, published: 0, received: 0, rejected: 0, droppedBatches: 0 };
  private readonly hub = new DeliveryHub();
  private readonly channel: string;
  private handlers: RelayNoticeHandlers | undefined;
  private log: Log | undefined;
  private client: pg.Client | undefined;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private outbox = new Set<string>();
  private flushing = false;
  private flushScheduled = false;
  private idle: Array<() => void> = [];

  constructor(private readonly options: PostgresNotifierOptions) {
    this.channel = options.channel ?? 'sealpost_relay';
    if (!CHANNEL.test(this.channel)) throw new Error(`bad NOTIFY channel name ${JSON.stringify(this.channel)}`);
    this.pool = openPgPool(
      { url: options.url, maxConnections: options.publishConnections ?? 2, applicationName: 'sealpost-relay-notify' },
      (e) => this.log?.warn({ err: { message: e.message } }, 'notify pool connection failed'),
    );
  }

  /** Connects the listener; rejects when the first attempt fails (a wrong URL is a start-up error). Reconnects on its own afterwards. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** True while the listener is connected: every other instance's notices reach this one. */
  get live(): boolean {
    return this.client !== undefined;
  }

  attach(handlers: RelayNoticeHandlers, log?: Log): void {
    this.handlers = handlers;
    if (log !== undefined) this.log = log;
  }

  subscribe(accountId: string, deviceId: number, listener: DeliveryListener): () => void {
    return this.hub.subscribe(accountId, deviceId, listener);
  }

  /**
   * Local sockets are woken to read their queue, not handed `committed`:
   * another instance may have committed rows of the device with lower
   * `seq` whose notice has not arrived yet, and a socket that pushed these
   * rows directly would read only above them afterwards (and never send
   * those). A read sees every lower row (the store commits a device's rows
   * in `seq` order).
   */
  notify(accountId: string, deviceId: number, _committed: QueuedEnvelope[]): void {
    this.hub.wake(accountId, deviceId);
    this.publish({ kind: 'queued', instance: this.instance, accountId, deviceId });
  }

  disconnectDevice(accountId: string, deviceId: number, code: number, reason: string): number {
    return this.hub.disconnectDevice(accountId, deviceId, code, reason);
  }

  wakeAll(): void {
    this.hub.wakeAll();
  }

  deviceRemoved(accountId: string, deviceId: number): void {
    this.handlers?.deviceRemoved(accountId, deviceId);
    this.publish({ kind: 'removed', instance: this.instance, accountId, deviceId });
  }

  accessKeyChanged(accountId: string): void {
    this.handlers?.accessKeyChanged(accountId);
    this.publish({ kind: 'access-key', instance: this.instance, accountId });
  }

  mailboxFilled(mailboxKey: string): void {
    this.handlers?.mailboxFilled(mailboxKey);
    this.publish({ kind: 'mailbox', instance: this.instance, mailboxKey });
  }

  /** Number of local listeners. */
  get size(): number {
    return this.hub.size;
  }

  /** Resolves once every notice published so far has been sent (or dropped). */
  flushed(): Promise<void> {
    if (this.outbox.size === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops listening, sends what is queued, closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushed();
    this.closed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    if (this.healthTimer !== undefined) clearInterval(this.healthTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  // ---- publishing ----

  private publish(notice: RelayNotice): void {
    if (this.closed) return;
    this.outbox.add(encodeNotice(notice));
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.outbox.size > 0) {
        const batch = [...this.outbox];
        this.outbox = new Set();
        await this.send(batch);
      }
    } finally {
      this.flushing = false;
      const idle = this.idle;
      this.idle = [];
      for (const f of idle) f();
    }
  }

  private async send(batch: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.pool.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS t(p)', [this.channel, batch]);
        this.stats.published += batch.length;
        return;
      } catch (e) {
        if (attempt >= PUBLISH_ATTEMPTS || this.closed) {
          this.stats.droppedBatches++;
          this.log?.warn({ err: { message: (e as Error).message }, notices: batch.length }, 'cluster notices not published');
          return;
        }
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  // ---- listening ----

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: 'sealpost-relay-listener',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
    });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client));
    client.on('notification', (m) => {
      if (m.channel === this.channel) this.received(m.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (e) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.attempt = 0;
    this.stats.connects++;
    if (this.stats.connects > 1) this.log?.info({ connects: this.stats.connects }, 'cluster listener reconnected; resyncing');
    this.startHealthChecks(client);
    // Whatever was published while no one listened here: every local socket reads its queue again.
    this.hub.wakeAll();
    this.handlers?.resync();
  }

  private startHealthChecks(client: pg.Client): void {
    if (this.healthTimer !== undefined) clearInterval(this.healthTimer);
    this.healthTimer = setInterval(() => {
      if (this.client !== client) return;
      client.query('SELECT 1').catch((e: unknown) => this.lost(client, e as Error));
    }, this.options.healthCheckMs ?? 5_000);
    this.healthTimer.unref();
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.healthTimer !== undefined) clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.log?.warn({ err: { message: error?.message ?? 'connection ended' } }, 'cluster listener lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    const initial = this.options.reconnectInitialMs ?? 100;
    const max = this.options.reconnectMaxMs ?? 5_000;
    const delay = Math.min(max, initial * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().catch((e: unknown) => {
        this.log?.debug({ err: { message: (e as Error).message } }, 'cluster listener reconnect failed');
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  private received(payload: string | undefined): void {
    const notice = decodeNotice(payload);
    if (notice === undefined) {
      this.stats.rejected++;
      return;
    }
    if (notice.instance === this.instance) return;
    this.stats.received++;
    switch (notice.kind) {
      case 'queued':
        this.hub.wake(notice.accountId, notice.deviceId);
        return;
      case 'removed':
        this.handlers?.deviceRemoved(notice.accountId, notice.deviceId);
        return;
      case 'access-key':
        this.handlers?.accessKeyChanged(notice.accountId);
        return;
      case 'mailbox':
        this.handlers?.mailboxFilled(notice.mailboxKey);
        return;
    }
  }
}
