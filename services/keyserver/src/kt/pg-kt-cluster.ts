/**
 * `KtCluster` on PostgreSQL: one sequencer among the key-server instances
 * sharing a database, and notices between them.
 *
 * Leadership is a session advisory lock, `pg_try_advisory_lock(KT_LOCK_CLASS,
 * KT_LOCK_ID)`, taken on a dedicated connection (a `pg.Client`, not from a
 * pool: a session lock belongs to its connection). Instances that do not hold
 * it try again every `retryMs`. PostgreSQL releases the lock when the session
 * ends — the process died (SIGKILL: the kernel closes the socket and the
 * backend exits), the network broke, the backend was terminated — so another
 * instance takes over within about `retryMs` of the server noticing.
 *
 * Losing the connection (an `error` or `end` event, or the periodic
 * `SELECT 1` not answered within `pingTimeoutMs`) stops sequencing at once:
 * `leading` turns false before anything else runs, and a batch already on
 * its way to the database is refused there by the fence in
 * `PgKtStore.appendBatch` (this pid no longer holds the lock) and, failing
 * that, by the conditional position insert. Then the cluster reconnects
 * (same timer) and competes again.
 *
 * Notices: LISTEN on the same connection; `pg_notify(channel, '<kind>
 * <instance>')` on the key store's pool after each write commits (never inside the transaction: a
 * NOTIFY takes a database-wide lock at commit). An instance ignores its own.
 * Notices sent while a connection is down are lost, so after every
 * (re)connect the log is told 'entry' and re-reads the tables; and every
 * instance also polls (KtLog's tick), so a lost notice costs latency, never
 * an update.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { KtCluster, KtClusterEvents, KtNotice } from './kt-cluster.ts';
import { KT_LOCK_CLASS, KT_LOCK_ID, type PgKtStore } from './pg-kt-store.ts';

export interface PgKtClusterOptions {
  /** The key store's connection settings (its pool's options): the same database. */
  connection: pg.ClientConfig;
  /** The store whose appends are fenced by this cluster's lock. */
  store: PgKtStore;
  /** How often a non-leader tries the lock, a leader pings, a lost connection reconnects, ms (default 1000). */
  retryMs?: number;
  /** A ping not answered within this is a lost connection, ms (default 3000). */
  pingTimeoutMs?: number;
  /** Statement timeout of the dedicated connection, ms (default 5000). */
  statementTimeoutMs?: number;
  /** NOTIFY channel (default `sealpost_kt`). */
  channel?: string;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

const NOTICES: ReadonlySet<string> = new Set<KtNotice>(['entry', 'cosig', 'pending']);

export class PgKtCluster implements KtCluster {
  /** This process's name in notices. */
  readonly instance = randomBytes(9).toString('base64url');
  private readonly channel: string;
  private readonly retryMs: number;
  private client: pg.Client | undefined;
  private pid: number | undefined;
  private lead = false;
  private closed = false;
  private busy = false;
  private timer: NodeJS.Timeout | undefined;
  private events: KtClusterEvents | undefined;
  /** Times this instance took the lock (tests, metrics). */
  acquired = 0;
  log: PgKtClusterOptions['log'];

  constructor(private readonly options: PgKtClusterOptions) {
    this.channel = options.channel ?? 'sealpost_kt';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel)) throw new Error(`bad NOTIFY channel name ${JSON.stringify(this.channel)}`);
    this.retryMs = options.retryMs ?? 1000;
    this.log = options.log;
  }

  get leading(): boolean {
    return this.lead;
  }

  /** The backend pid of the dedicated connection (undefined while disconnected). */
  get backendPid(): number | undefined {
    return this.pid;
  }

  async start(events: KtClusterEvents): Promise<void> {
    this.events = events;
    await this.step();
    this.timer = setInterval(() => void this.step(), this.retryMs);
    this.timer.unref();
  }

  /** One timer step: connect if disconnected, else ping (leader) or try the lock (follower). */
  private async step(): Promise<void> {
    if (this.closed || this.busy) return;
    this.busy = true;
    try {
      if (this.client === undefined) await this.connect();
      const client = this.client;
      if (client === undefined) return;
      if (this.lead) await this.ping(client);
      else await this.tryLock(client);
    } catch (e) {
      this.log?.warn({ err: { message: (e as Error).message } }, 'key transparency: sequencer lock connection failed');
    } finally {
      this.busy = false;
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      ...this.options.connection,
      application_name: 'sealpost-keyserver-kt',
      statement_timeout: this.options.statementTimeoutMs ?? 5000,
    });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, undefined));
    client.on('notification', (n) => this.received(n));
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query(`LISTEN ${this.channel}`);
      if (this.closed) throw new Error('closed');
      this.client = client;
      this.pid = rows[0]!.pid;
    } catch (e) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw e;
    }
    // Notices may have been missed while disconnected: re-read the tables.
    this.events?.notice('entry');
  }

  private async tryLock(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [KT_LOCK_CLASS, KT_LOCK_ID]);
    if (!rows[0]!.ok || this.closed) return;
    if (client !== this.client) return; // lost meanwhile: the lock went with the session
    this.lead = true;
    this.acquired++;
    this.options.store.leaderPid = this.pid;
    this.log?.info({ pid: this.pid }, 'key transparency: this instance sequences the log');
    this.events?.leadership(true);
  }

  private async ping(client: pg.Client): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('ping timed out')), this.options.pingTimeoutMs ?? 3000);
    });
    try {
      await Promise.race([client.query('SELECT 1'), timeout]);
    } catch (e) {
      this.lost(client, e as Error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The dedicated connection is gone (or unusable): stop leading now, reconnect on the next step. */
  private lost(client: pg.Client, error: Error | undefined): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.pid = undefined;
    client.end().catch(() => undefined);
    if (this.lead) {
      this.lead = false;
      this.options.store.leaderPid = undefined;
      if (!this.closed) this.log?.warn({ err: error && { message: error.message } }, 'key transparency: lost the sequencer lock connection; stopped sequencing');
      this.events?.leadership(false);
    }
  }

  private received(n: pg.Notification): void {
    if (n.channel !== this.channel || n.payload === undefined) return;
    const [kind, from] = n.payload.split(' ');
    if (from === this.instance || kind === undefined || !NOTICES.has(kind)) return;
    this.events?.notice(kind as KtNotice);
  }

  announce(kind: KtNotice): void {
    // On the key store's pool: the dedicated connection runs one statement at a time (lock, ping).
    this.options.store.notify(this.channel, `${kind} ${this.instance}`).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    const client = this.client;
    this.client = undefined;
    this.pid = undefined;
    this.lead = false;
    this.options.store.leaderPid = undefined;
    // Ending the session releases the lock.
    if (client !== undefined) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
