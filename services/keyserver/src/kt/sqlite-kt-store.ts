/**
 * `KtStore` on the key store's SQLite database (the kt_* tables and
 * `handles` of migration 4). better-sqlite3 is synchronous: each method
 * runs start to finish; multi-row writes run in `BEGIN IMMEDIATE`.
 */
import type Database from 'better-sqlite3';
import { type HandleClaim, type KtBatch, type KtCheckpointRow, type KtEntryRow, type KtFollowRow, type KtLeafRow, type KtPendingRow, type KtStore, type KtVersionRow, type KtVersionSqlRow, type VrfProofRow, KtAppendConflict, bufferView, ktVersionRow } from './kt-store.ts';

const view = bufferView;

export class SqliteKtStore implements KtStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      entries: p('SELECT position, timestamp_ms, prefix_root FROM kt_entries WHERE position >= ? ORDER BY position'),
      versionsFrom: p('SELECT position, search_key, commitment, label FROM kt_versions WHERE position >= ? ORDER BY position'),
      nextPosition: p('SELECT COALESCE(MAX(position) + 1, 0) FROM kt_entries').pluck(),
      pendingPresent: p('SELECT id FROM kt_pending WHERE id IN (SELECT value FROM json_each(?))').pluck(),
      checkpointsSince: p('SELECT size, note, cosignatures FROM kt_checkpoints WHERE size >= ? ORDER BY size DESC LIMIT ?'),
      leaves: p('SELECT position, search_key, commitment FROM kt_versions ORDER BY position'),
      greatest: p('SELECT * FROM kt_versions WHERE label = ? AND position < ? ORDER BY version DESC LIMIT 1'),
      version: p('SELECT * FROM kt_versions WHERE label = ? AND version = ?'),
      count: p('SELECT COUNT(*) FROM kt_versions WHERE label = ?').pluck(),
      vrfNext: p('SELECT proof, search_key FROM kt_vrf_next WHERE after_key = ?'),
      putVrfNext: p('INSERT OR REPLACE INTO kt_vrf_next (after_key, proof, search_key) VALUES (?, ?, ?)'),
      deleteVrfNext: p('DELETE FROM kt_vrf_next WHERE after_key = ?'),
      pending: p('SELECT id, label, value, enqueued_ms FROM kt_pending ORDER BY id LIMIT ?'),
      enqueue: p('INSERT INTO kt_pending (label, value, enqueued_ms) VALUES (?, ?, ?)'),
      deletePending: p('DELETE FROM kt_pending WHERE id = ?'),
      insertEntry: p('INSERT INTO kt_entries (position, timestamp_ms, prefix_root) VALUES (?, ?, ?)'),
      insertVersion: p(
        'INSERT INTO kt_versions (label, version, position, opening, value, vrf_proof, search_key, commitment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertCheckpoint: p('INSERT INTO kt_checkpoints (size, note) VALUES (?, ?)'),
      checkpoints: p('SELECT size, note, cosignatures FROM kt_checkpoints ORDER BY size DESC LIMIT ?'),
      addCosignatures: p('UPDATE kt_checkpoints SET cosignatures = cosignatures || ? WHERE size = ?'),
      handleOf: p('SELECT handle FROM handles WHERE account_id = ?').pluck(),
      handleAccount: p('SELECT account_id FROM handles WHERE handle = ?').pluck(),
      insertHandle: p('INSERT OR IGNORE INTO handles (handle, account_id, created_at) VALUES (?, ?, ?)'),
    };
  }

  async entries(from = 0): Promise<KtEntryRow[]> {
    const rows = this.s.entries.all(from) as { position: number; timestamp_ms: number; prefix_root: Buffer }[];
    return rows.map((r) => ({ position: r.position, timestampMs: r.timestamp_ms, prefixRoot: view(r.prefix_root) }));
  }

  async leaves(): Promise<KtLeafRow[]> {
    const rows = this.s.leaves.raw().all() as [number, Buffer, Buffer][];
    return rows.map(([position, key, commitment]) => ({ position, searchKey: view(key), commitment: view(commitment) }));
  }

  async versionsFrom(from: number): Promise<KtFollowRow[]> {
    const rows = this.s.versionsFrom.raw().all(from) as [number, Buffer, Buffer, Buffer][];
    return rows.map(([position, key, commitment, label]) => ({ position, searchKey: view(key), commitment: view(commitment), label: view(label) }));
  }

  async pendingPresent(ids: readonly number[]): Promise<number[]> {
    return this.s.pendingPresent.all(JSON.stringify(ids)) as number[];
  }

  async greatestVersion(label: Uint8Array, beforePosition: number): Promise<KtVersionRow | undefined> {
    const r = this.s.greatest.get(label, beforePosition) as KtVersionSqlRow | undefined;
    return r && ktVersionRow(r);
  }

  async searchVersion(label: Uint8Array, beforePosition: number): Promise<{ row: KtVersionRow; next: VrfProofRow | undefined } | undefined> {
    const row = await this.greatestVersion(label, beforePosition);
    if (row === undefined) return undefined;
    const present = await this.version(label, row.version + 1);
    return { row, next: present === undefined ? await this.vrfNext(row.searchKey) : { proof: present.vrfProof, searchKey: present.searchKey } };
  }

  async version(label: Uint8Array, version: number): Promise<KtVersionRow | undefined> {
    const r = this.s.version.get(label, version) as KtVersionSqlRow | undefined;
    return r && ktVersionRow(r);
  }

  async versionCount(label: Uint8Array): Promise<number> {
    return this.s.count.get(label) as number;
  }

  async vrfNext(afterKey: Uint8Array): Promise<VrfProofRow | undefined> {
    const r = this.s.vrfNext.get(afterKey) as { proof: Buffer; search_key: Buffer } | undefined;
    return r && { proof: view(r.proof), searchKey: view(r.search_key) };
  }

  async putVrfNext(afterKey: Uint8Array, p: VrfProofRow): Promise<void> {
    this.s.putVrfNext.run(afterKey, p.proof, p.searchKey);
  }

  async pending(limit: number): Promise<KtPendingRow[]> {
    const rows = this.s.pending.all(limit) as { id: number; label: Buffer; value: Buffer; enqueued_ms: number }[];
    return rows.map((r) => ({ id: r.id, label: view(r.label), value: view(r.value), enqueuedMs: r.enqueued_ms }));
  }

  async enqueue(updates: readonly { label: Uint8Array; value: Uint8Array }[], now: number): Promise<number[]> {
    return this.db.transaction(() => updates.map((u) => Number(this.s.enqueue.run(u.label, u.value, now).lastInsertRowid))).immediate();
  }

  async appendBatch(b: KtBatch): Promise<void> {
    this.db
      .transaction(() => {
        // One process per SQLite file sequences; the checks keep the same contract as PostgreSQL's.
        if (this.s.nextPosition.get() !== b.entry.position) throw new KtAppendConflict(`position ${b.entry.position} is not the next one`);
        this.s.insertEntry.run(b.entry.position, b.entry.timestampMs, b.entry.prefixRoot);
        for (const v of b.versions) this.s.insertVersion.run(v.label, v.version, v.position, v.opening, v.value, v.vrfProof, v.searchKey, v.commitment);
        // Cached proofs of versions that now exist are in kt_versions from here on.
        for (const key of b.usedVrfNext) this.s.deleteVrfNext.run(key);
        for (const id of b.pendingIds) if (this.s.deletePending.run(id).changes !== 1) throw new KtAppendConflict('a pending update was already sequenced');
        this.s.insertCheckpoint.run(b.entry.position + 1, b.checkpointNote);
      })
      .immediate();
  }

  async checkpoints(limit: number): Promise<KtCheckpointRow[]> {
    return this.s.checkpoints.all(limit) as KtCheckpointRow[];
  }

  async checkpointsSince(size: number, limit: number): Promise<KtCheckpointRow[]> {
    return this.s.checkpointsSince.all(size, limit) as KtCheckpointRow[];
  }

  async addCosignatures(size: number, lines: string): Promise<void> {
    this.s.addCosignatures.run(lines, size);
  }

  async claimHandle(handle: string, accountId: string, update: { label: Uint8Array; value: Uint8Array }, now: number): Promise<HandleClaim> {
    return this.db
      .transaction((): HandleClaim => {
        const current = this.s.handleOf.get(accountId) as string | undefined;
        if (current !== undefined) return current === handle ? 'unchanged' : 'alreadySet';
        if (this.s.insertHandle.run(handle, accountId, now).changes !== 1) return 'taken';
        this.s.enqueue.run(update.label, update.value, now);
        return 'claimed';
      })
      .immediate();
  }

  async handleAccount(handle: string): Promise<string | undefined> {
    return this.s.handleAccount.get(handle) as string | undefined;
  }
}
