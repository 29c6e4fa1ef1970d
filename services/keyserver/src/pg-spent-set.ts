/**
 * Spent registration-token ids and proof-of-work challenges shared by every
 * instance on one database (`keyserver_spent_ids`), so a token spent at one
 * instance is refused by all. Spending is one atomic statement: an insert
 * that, on conflict, takes over the row only if its previous spend has
 * expired — two instances spending the same id at once cannot both win.
 * No entry cap (rows cost disk); expired rows go on prune. A restart of an
 * instance forgets nothing.
 */
import type pg from 'pg';
import { storeError } from './store/pg-errors.ts';
import type { SpendResult, SpentIds } from './spent-set.ts';

const SPEND = `INSERT INTO keyserver_spent_ids (scope, id, expires_at) VALUES ($1, $2, $3)
  ON CONFLICT (scope, id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE keyserver_spent_ids.expires_at <= $4
  RETURNING 1`;
const RELEASE = 'DELETE FROM keyserver_spent_ids WHERE scope = $1 AND id = $2';
const PRUNE = 'DELETE FROM keyserver_spent_ids WHERE expires_at <= $1';

/** Spent ids of one `scope` (e.g. 'registration-token', 'proof-of-work'). */
export class PostgresSpentSet implements SpentIds {
  constructor(
    private readonly pool: pg.Pool,
    readonly scope: string,
  ) {}

  async spend(id: string, expiresAt: number, now: number): Promise<SpendResult> {
    try {
      const result = await this.pool.query(SPEND, [this.scope, id, Math.floor(expiresAt), Math.floor(now)]);
      return result.rowCount === 1 ? 'ok' : 'reused';
    } catch (e) {
      throw storeError(e);
    }
  }

  async release(id: string): Promise<void> {
    await this.pool.query(RELEASE, [this.scope, id]);
  }
}

/** Deletes every expired spent id (all scopes). */
export async function pruneSpentIds(pool: pg.Pool, now: number): Promise<void> {
  await pool.query(PRUNE, [Math.floor(now)]);
}
