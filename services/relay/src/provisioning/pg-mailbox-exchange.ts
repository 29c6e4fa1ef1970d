/**
 * `MailboxExchange` on PostgreSQL: one row per open mailbox, keyed by the
 * SHA-256 of its id (the id itself, which lets anyone holding it deliver,
 * is never stored), with its expiry and, once a PUT arrived through another
 * instance, the message waiting for the instance that holds the socket.
 * Table `relay_provisioning_mailboxes`, migrated as component
 * `relay_provisioning` (its own version table, beside the envelope store's).
 * A message waits here at most until the mailbox ends (its row is deleted
 * then) or expires (rows of instances that died are swept at the next open
 * after their expiry).
 */
import type pg from 'pg';
import { migratePostgres, type PgMigration } from '@sealpost/service-kit/postgres';
import type { MailboxExchange } from './mailboxes.ts';

/** The exchange's schema steps. */
export const PROVISIONING_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'provisioning mailboxes',
    up: `CREATE TABLE relay_provisioning_mailboxes (
           mailbox_key bytea PRIMARY KEY,
           expires_at bigint NOT NULL,
           body bytea
         );
         CREATE INDEX relay_provisioning_mailboxes_expiry ON relay_provisioning_mailboxes (expires_at);`,
  },
];

/** How often expired rows are swept (at most), ms. */
const SWEEP_MS = 60_000;

const keyBytes = (key: string): Buffer => Buffer.from(key, 'hex');

/** Mailbox rows in PostgreSQL, on a pool the caller owns. */
export class PostgresMailboxExchange implements MailboxExchange {
  private lastSweep = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Migrates the table and returns the exchange. */
  static async open(pool: pg.Pool, options: { now?: () => number; onError?: (err: Error) => void } = {}): Promise<PostgresMailboxExchange> {
    await migratePostgres(pool, PROVISIONING_PG_MIGRATIONS, { component: 'relay_provisioning' });
    return new PostgresMailboxExchange(pool, options.now ?? Date.now, options.onError ?? (() => undefined));
  }

  async opened(key: string, expiresAt: number): Promise<void> {
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_MS) {
      this.lastSweep = now;
      this.pool.query('DELETE FROM relay_provisioning_mailboxes WHERE expires_at <= $1', [now]).catch((e: unknown) => this.onError(e as Error));
    }
    await this.pool.query('INSERT INTO relay_provisioning_mailboxes (mailbox_key, expires_at) VALUES ($1, $2)', [keyBytes(key), expiresAt]);
  }

  async ended(key: string): Promise<void> {
    try {
      await this.pool.query('DELETE FROM relay_provisioning_mailboxes WHERE mailbox_key = $1', [keyBytes(key)]);
    } catch (e) {
      this.onError(e as Error);
    }
  }

  async leave(key: string, body: Uint8Array, now: number): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE relay_provisioning_mailboxes SET body = $2 WHERE mailbox_key = $1 AND body IS NULL AND expires_at > $3',
      [keyBytes(key), Buffer.from(body.buffer, body.byteOffset, body.byteLength), now],
    );
    return r.rowCount === 1;
  }

  async take(key: string): Promise<Uint8Array | undefined> {
    const r = await this.pool.query<{ body: Buffer }>(
      'DELETE FROM relay_provisioning_mailboxes WHERE mailbox_key = $1 AND body IS NOT NULL RETURNING body',
      [keyBytes(key)],
    );
    const body = r.rows[0]?.body;
    return body === undefined ? undefined : new Uint8Array(body);
  }
}
