/**
 * The SQLite store: queue-depth counters kept by triggers through inserts,
 * acknowledgements and expiry sweeps, and the migration that builds them for
 * a database written by the first schema version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { QueueFullError, SqliteEnvelopeStore } from '../src/store/index.ts';

const env = (accountId: string, deviceId: number, marker: number) => ({ accountId, deviceId, content: Uint8Array.of(0x11, marker) });

describe('SqliteEnvelopeStore', () => {
  it('enforces queue depth through inserts, acknowledgements and expiry', async () => {
    const store = new SqliteEnvelopeStore({ path: ':memory:' });
    const rows = await store.enqueue([env('a', 1, 1), env('a', 1, 2), env('a', 2, 3)], 1000, 100, 3);
    expect(rows.map((r) => [r.accountId, r.deviceId, r.content[1], r.receivedAt])).toEqual([
      ['a', 1, 1, 1000],
      ['a', 1, 2, 1000],
      ['a', 2, 3, 1000],
    ]);
    expect(rows[0]!.seq < rows[1]!.seq && rows[1]!.seq < rows[2]!.seq).toBe(true);
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(3);
    await expect(store.enqueue([env('a', 1, 4), env('a', 1, 5)], 1000, 100, 3)).rejects.toThrow(QueueFullError);
    expect(await store.depth('a', 1, 1000)).toBe(2); // the refused send wrote nothing
    await store.enqueue([env('a', 1, 4)], 1000, 100, 3);
    await expect(store.enqueue([env('a', 1, 5)], 1000, 100, 3)).rejects.toThrow(QueueFullError);
    expect(await store.acknowledge('a', 1, ids[0]!)).toBe(true);
    expect(await store.acknowledge('a', 1, ids[0]!)).toBe(false);
    await store.enqueue([env('a', 1, 5)], 1000, 100, 3);
    // Expired rows count until swept, then free their places.
    await expect(store.enqueue([env('a', 1, 6)], 2000, 100, 3)).rejects.toThrow(QueueFullError);
    expect(await store.deleteExpired(2000)).toBe(4);
    await store.enqueue([env('a', 1, 6), env('a', 1, 7), env('a', 1, 8)], 2000, 100, 3);
    expect((await store.pending('a', 1, 2000, 10)).map((e) => e.content[1])).toEqual([6, 7, 8]);
    await store.close();
  });

  it('migrates a version-1 database, counting the envelopes already queued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-store-'));
    const path = join(dir, 'v1.sqlite');
    const db = new Database(path);
    db.exec(`CREATE TABLE envelopes (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL,
               device_id INTEGER NOT NULL, content BLOB NOT NULL, received_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
             CREATE INDEX envelopes_by_device ON envelopes (account_id, device_id, seq);
             CREATE INDEX envelopes_by_expiry ON envelopes (expires_at);
             CREATE TABLE access_keys (account_id TEXT PRIMARY KEY, key_hash BLOB NOT NULL);
             PRAGMA user_version = 1;`);
    const ins = db.prepare('INSERT INTO envelopes (id, account_id, device_id, content, received_at, expires_at) VALUES (?, ?, 1, ?, 0, 9999999999999)');
    for (let i = 0; i < 3; i++) ins.run(`id${i}`, 'a', Buffer.from([0x11, i]));
    db.close();
    const store = new SqliteEnvelopeStore({ path });
    await expect(store.enqueue([env('a', 1, 9), env('a', 1, 9)], 1, 100, 4)).rejects.toThrow(QueueFullError);
    await store.enqueue([env('a', 1, 9)], 1, 100, 4);
    expect((await store.pending('a', 1, 1, 10)).map((e) => e.content[1])).toEqual([0, 1, 2, 9]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
