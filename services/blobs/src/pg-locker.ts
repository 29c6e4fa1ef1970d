/**
 * The tus Locker for several blob-service instances over one shared blob
 * directory: a PostgreSQL session advisory lock per upload id, held on a
 * pooled connection for as long as the request writes. Same contract as
 * `ExclusiveLocker` (never cancels the holder; a second writer waits up to
 * `waitMs`, then gets 423), but across processes. If the holding instance
 * dies, PostgreSQL ends its session and the lock with it.
 */
import type { Lock, Locker } from '@tus/server';
import type pg from 'pg';
import { errorBody } from './errors.ts';

/** 64-bit advisory lock key of an upload id (namespaced, so other components' locks never collide). */
const LOCK_KEY_SQL = "hashtextextended('sealpost:blobs:' || $1, 0)";

export class PgAdvisoryLocker implements Locker {
  constructor(
    private readonly pool: pg.Pool,
    private readonly waitMs = 1000,
    private readonly pollMs = 10,
  ) {}

  newLock(id: string): Lock {
    let held: pg.PoolClient | undefined;
    return {
      lock: async () => {
        const client = await this.pool.connect();
        try {
          for (let waited = 0; ; waited += this.pollMs) {
            const got = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY_SQL}) AS ok`, [id]);
            if (got.rows[0]?.ok === true) break;
            if (waited >= this.waitMs) throw { status_code: 423, body: errorBody('LOCKED', 'another request is writing this upload') };
            await new Promise((r) => setTimeout(r, this.pollMs));
          }
        } catch (error) {
          client.release();
          throw error;
        }
        held = client;
      },
      unlock: async () => {
        const client = held;
        held = undefined;
        if (client === undefined) return;
        try {
          await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY_SQL})`, [id]);
          client.release();
        } catch (error) {
          // The session is in doubt: destroy it, which releases the lock for sure.
          client.release(error as Error);
        }
      },
    };
  }
}
