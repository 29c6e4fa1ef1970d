/**
 * `KtStore` on the key store's PostgreSQL database (the kt_* tables and
 * `handles` of pg-migrations.ts version 3), on the key store's pool — so
 * the same statement timeout, and database failures become 503
 * `STORE_UNAVAILABLE` (store/pg-errors.ts).
 *
 * Several instances share these tables; one of them sequences at a time
 * (pg-kt-cluster.ts). `appendBatch` is conditional, so the log cannot fork
 * even when two processes both believe they lead for a moment:
 *   - the fence: when `leaderPid` is set, the transaction first checks in
 *     `pg_locks` that this backend pid still holds the sequencer's advisory
 *     lock (a leader whose session died has lost it, and another may have
 *     taken it);
 *   - the position: the entry is inserted only if its position is the
 *     table's max + 1 (`kt_entries.position` is the primary key, so two
 *     transactions that both read the same max cannot both commit);
 *   - the pending rows: every one must still be there to be deleted (a row
 *     another sequencer already logged is not logged twice).
 * Any check failing rolls the whole batch back (`KtAppendConflict`).
 */
import type pg from 'pg';
import { withPgTransaction } from '@sealpost/service-kit/postgres';
import { storeError } from '../store/pg-errors.ts';
import {
  type HandleClaim,
  type KtBatch,
  type KtCheckpointRow,
  type KtEntryRow,
  type KtFollowRow,
  type KtLeafRow,
  type KtPendingRow,
  type KtStore,
  type KtVersionRow,
  type KtVersionSqlRow,
  type VrfProofRow,
  KtAppendConflict,
  ktVersionRow,
  bufferView,
} from './kt-store.ts';

/** The sequencer's session advisory lock: `pg_try_advisory_lock(KT_LOCK_CLASS, KT_LOCK_ID)` (pg_locks: classid, objid, objsubid 2). */
export const KT_LOCK_CLASS = 0x6b74_6c67; // "ktlg"
export const KT_LOCK_ID = 1;

const view = bufferView;
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

const checkpointRows = (rows: { size: string; note: string; cosignatures: string }[]): KtCheckpointRow[] =>
  rows.map((r) => ({ size: Number(r.size), note: r.note, cosignatures: r.cosignatures }));

const SQL = {
  entries: 'SELECT position, timestamp_ms, prefix_root FROM kt_entries WHERE position >= $1 ORDER BY position',
  leaves: 'SELECT position, search_key, commitment FROM kt_versions ORDER BY position',
  versionsFrom: 'SELECT position, search_key, commitment, label FROM kt_versions WHERE position >= $1 ORDER BY position',
  pendingPresent: 'SELECT id FROM kt_pending WHERE id = ANY($1::bigint[])',
  greatest: 'SELECT * FROM kt_versions WHERE label = $1 AND position < $2 ORDER BY version DESC LIMIT 1',
  version: 'SELECT * FROM kt_versions WHERE label = $1 AND version = $2',
  // One round trip per search: the greatest version, the next one's proof if it exists, else the cached proof.
  searchVersion: `WITH g AS (SELECT * FROM kt_versions WHERE label = $1 AND position < $2 ORDER BY version DESC LIMIT 1)
                  SELECT g.*, COALESCE(n.vrf_proof, x.proof) AS next_proof, COALESCE(n.search_key, x.search_key) AS next_key
                  FROM g LEFT JOIN kt_versions n ON n.label = g.label AND n.version = g.version + 1
                         LEFT JOIN kt_vrf_next x ON x.after_key = g.search_key`,
  count: 'SELECT count(*)::int AS n FROM kt_versions WHERE label = $1',
  vrfNext: 'SELECT proof, search_key FROM kt_vrf_next WHERE after_key = $1',
  // The VRF is deterministic: a proof another instance cached first is the same proof.
  putVrfNext: 'INSERT INTO kt_vrf_next (after_key, proof, search_key) VALUES ($1, $2, $3) ON CONFLICT (after_key) DO NOTHING',
  pending: 'SELECT id, label, value, enqueued_ms FROM kt_pending ORDER BY id LIMIT $1',
  enqueue: 'INSERT INTO kt_pending (label, value, enqueued_ms) SELECT l, v, $3 FROM unnest($1::bytea[], $2::bytea[]) AS u (l, v) RETURNING id',
  fence: `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND pid = $3 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  insertEntry: `INSERT INTO kt_entries (position, timestamp_ms, prefix_root)
                SELECT $1, $2, $3 WHERE (SELECT COALESCE(max(position) + 1, 0) FROM kt_entries) = $1
                ON CONFLICT (position) DO NOTHING`,
  insertVersions: `INSERT INTO kt_versions (label, version, position, opening, value, vrf_proof, search_key, commitment)
                   SELECT l, ver, $3, o, v, p, k, c FROM unnest($1::bytea[], $2::int[], $4::bytea[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bytea[]) AS u (l, ver, o, v, p, k, c)`,
  deleteVrfNext: 'DELETE FROM kt_vrf_next WHERE after_key = ANY($1::bytea[])',
  deletePending: 'DELETE FROM kt_pending WHERE id = ANY($1::bigint[])',
  insertCheckpoint: 'INSERT INTO kt_checkpoints (size, note) VALUES ($1, $2)',
  checkpoints: 'SELECT size, note, cosignatures FROM kt_checkpoints ORDER BY size DESC LIMIT $1',
  checkpointsSince: 'SELECT size, note, cosignatures FROM kt_checkpoints WHERE size >= $1 ORDER BY size DESC LIMIT $2',
  addCosignatures: 'UPDATE kt_checkpoints SET cosignatures = cosignatures || $1 WHERE size = $2',
  handleOf: 'SELECT handle FROM handles WHERE account_id = $1',
  handleAccount: 'SELECT account_id FROM handles WHERE handle = $1',
  insertHandle: 'INSERT INTO handles (handle, account_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  insertPending: 'INSERT INTO kt_pending (label, value, enqueued_ms) VALUES ($1, $2, $3)',
} as const;

export class PgKtStore implements KtStore {
  /**
   * The backend pid of the session holding the sequencer lock in this
   * process (set by pg-kt-cluster.ts while it leads): `appendBatch` writes
   * only while that session still holds it. Undefined: no fence (one process).
   */
  leaderPid: number | undefined;

  constructor(private readonly pool: pg.Pool) {}

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw storeError(e);
    }
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withPgTransaction(this.pool, fn);
    } catch (e) {
      if (e instanceof KtAppendConflict) throw e;
      throw storeError(e);
    }
  }

  async entries(from = 0): Promise<KtEntryRow[]> {
    const rows = await this.q<{ position: string; timestamp_ms: string; prefix_root: Buffer }>(SQL.entries, [from]);
    return rows.map((r) => ({ position: Number(r.position), timestampMs: Number(r.timestamp_ms), prefixRoot: view(r.prefix_root) }));
  }

  async leaves(): Promise<KtLeafRow[]> {
    const rows = await this.q<{ position: string; search_key: Buffer; commitment: Buffer }>(SQL.leaves, []);
    return rows.map((r) => ({ position: Number(r.position), searchKey: view(r.search_key), commitment: view(r.commitment) }));
  }

  async versionsFrom(from: number): Promise<KtFollowRow[]> {
    const rows = await this.q<{ position: string; search_key: Buffer; commitment: Buffer; label: Buffer }>(SQL.versionsFrom, [from]);
    return rows.map((r) => ({ position: Number(r.position), searchKey: view(r.search_key), commitment: view(r.commitment), label: view(r.label) }));
  }

  async pendingPresent(ids: readonly number[]): Promise<number[]> {
    return (await this.q<{ id: string }>(SQL.pendingPresent, [ids])).map((r) => Number(r.id));
  }

  async greatestVersion(label: Uint8Array, beforePosition: number): Promise<KtVersionRow | undefined> {
    const [r] = await this.q<KtVersionSqlRow>(SQL.greatest, [buf(label), Math.min(beforePosition, Number.MAX_SAFE_INTEGER)]);
    return r && ktVersionRow(r);
  }

  async searchVersion(label: Uint8Array, beforePosition: number): Promise<{ row: KtVersionRow; next: VrfProofRow | undefined } | undefined> {
    const [r] = await this.q<KtVersionSqlRow & { next_proof: Buffer | null; next_key: Buffer | null }>(SQL.searchVersion, [buf(label), Math.min(beforePosition, Number.MAX_SAFE_INTEGER)]);
    if (r === undefined) return undefined;
    return { row: ktVersionRow(r), next: r.next_proof === null || r.next_key === null ? undefined : { proof: view(r.next_proof), searchKey: view(r.next_key) } };
  }

  async version(label: Uint8Array, version: number): Promise<KtVersionRow | undefined> {
    const [r] = await this.q<KtVersionSqlRow>(SQL.version, [buf(label), version]);
    return r && ktVersionRow(r);
  }

  async versionCount(label: Uint8Array): Promise<number> {
    return (await this.q<{ n: number }>(SQL.count, [buf(label)]))[0]!.n;
  }

  async vrfNext(afterKey: Uint8Array): Promise<VrfProofRow | undefined> {
    const [r] = await this.q<{ proof: Buffer; search_key: Buffer }>(SQL.vrfNext, [buf(afterKey)]);
    return r && { proof: view(r.proof), searchKey: view(r.search_key) };
  }

  async putVrfNext(afterKey: Uint8Array, p: VrfProofRow): Promise<void> {
    await this.q(SQL.putVrfNext, [buf(afterKey), buf(p.proof), buf(p.searchKey)]);
  }

  async pending(limit: number): Promise<KtPendingRow[]> {
    const rows = await this.q<{ id: string; label: Buffer; value: Buffer; enqueued_ms: string }>(SQL.pending, [limit]);
    return rows.map((r) => ({ id: Number(r.id), label: view(r.label), value: view(r.value), enqueuedMs: Number(r.enqueued_ms) }));
  }

  async enqueue(updates: readonly { label: Uint8Array; value: Uint8Array }[], now: number): Promise<number[]> {
    if (updates.length === 0) return [];
    const rows = await this.q<{ id: string }>(SQL.enqueue, [updates.map((u) => buf(u.label)), updates.map((u) => buf(u.value)), now]);
    return rows.map((r) => Number(r.id));
  }

  async appendBatch(b: KtBatch): Promise<void> {
    const pid = this.leaderPid;
    await this.tx(async (c) => {
      if (pid !== undefined && (await c.query(SQL.fence, [KT_LOCK_CLASS, KT_LOCK_ID, pid])).rowCount !== 1) {
        throw new KtAppendConflict('this process no longer holds the sequencer lock');
      }
      const inserted = await c.query(SQL.insertEntry, [b.entry.position, b.entry.timestampMs, buf(b.entry.prefixRoot)]);
      if (inserted.rowCount !== 1) throw new KtAppendConflict(`position ${b.entry.position} is not the next one (another sequencer appended)`);
      if (b.versions.length > 0) {
        const v = b.versions;
        await c.query(SQL.insertVersions, [
          v.map((x) => buf(x.label)),
          v.map((x) => x.version),
          b.entry.position,
          v.map((x) => buf(x.opening)),
          v.map((x) => buf(x.value)),
          v.map((x) => buf(x.vrfProof)),
          v.map((x) => buf(x.searchKey)),
          v.map((x) => buf(x.commitment)),
        ]);
      }
      // Cached proofs of versions that now exist are in kt_versions from here on.
      if (b.usedVrfNext.length > 0) await c.query(SQL.deleteVrfNext, [b.usedVrfNext.map(buf)]);
      if (b.pendingIds.length > 0 && (await c.query(SQL.deletePending, [b.pendingIds])).rowCount !== b.pendingIds.length) {
        throw new KtAppendConflict('a pending update was already sequenced');
      }
      await c.query(SQL.insertCheckpoint, [b.entry.position + 1, b.checkpointNote]);
    });
  }

  async checkpoints(limit: number): Promise<KtCheckpointRow[]> {
    return checkpointRows(await this.q(SQL.checkpoints, [limit]));
  }

  async checkpointsSince(size: number, limit: number): Promise<KtCheckpointRow[]> {
    return checkpointRows(await this.q(SQL.checkpointsSince, [size, limit]));
  }

  async addCosignatures(size: number, lines: string): Promise<void> {
    await this.q(SQL.addCosignatures, [lines, size]);
  }

  async claimHandle(handle: string, accountId: string, update: { label: Uint8Array; value: Uint8Array }, now: number): Promise<HandleClaim> {
    return this.tx(async (c): Promise<HandleClaim> => {
      const current = async () => (await c.query<{ handle: string }>(SQL.handleOf, [accountId])).rows[0]?.handle;
      const had = await current();
      if (had !== undefined) return had === handle ? 'unchanged' : 'alreadySet';
      // ON CONFLICT waits for a concurrent claim of the same handle or by the same account, then skips.
      if ((await c.query(SQL.insertHandle, [handle, accountId, now])).rowCount !== 1) {
        const owned = await current();
        if (owned === undefined) return 'taken';
        return owned === handle ? 'unchanged' : 'alreadySet';
      }
      await c.query(SQL.insertPending, [buf(update.label), buf(update.value), now]);
      return 'claimed';
    });
  }

  /** `pg_notify` (pg-kt-cluster.ts's notices, sent after the write they announce committed). */
  async notify(channel: string, payload: string): Promise<void> {
    await this.q('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  async handleAccount(handle: string): Promise<string | undefined> {
    return (await this.q<{ account_id: string }>(SQL.handleAccount, [handle]))[0]?.account_id;
  }
}
