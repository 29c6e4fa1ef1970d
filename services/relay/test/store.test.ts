/**
 * The envelope store contract, run against SQLite and PostgreSQL (one fresh
 * database per test): queue-depth and byte limits through inserts,
 * acknowledgements and expiry; all-or-nothing enqueues, also when several
 * run at once or come from two instances on one database; pending windows;
 * acknowledgements; access keys. Then SQLite's own migration of a database
 * written by the first schema version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueFullError, SqliteEnvelopeStore } from '../src/store/index.ts';
import { STORE_BACKENDS, type OpenedStore } from './support/store-backends.ts';

const env = (accountId: string, deviceId: number, marker: number, size = 2) => {
  const content = new Uint8Array(size).fill(marker);
  content[0] = 0x11;
  return { accountId, deviceId, content };
};

for (const backend of STORE_BACKENDS) {
  describe.runIf(backend.available)(`${backend.name}: store contract`, () => {
    let opened: OpenedStore;
    beforeEach(async () => {
      opened = await backend.open();
    });
    afterEach(async () => {
      await opened.close();
    });

    it('enforces queue depth through inserts, acknowledgements and expiry', async () => {
      const { store } = opened;
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
    });

    it('a byte limit refuses the whole send, names the limit, and frees up on acknowledgement', async () => {
      const { store } = opened;
      await store.enqueue([env('b', 1, 1, 400), env('b', 1, 2, 400)], 1000, 60_000, 100, 1000);
      const refused = await store.enqueue([env('c', 1, 9, 10), env('b', 1, 3, 300)], 1000, 60_000, 100, 1000).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(QueueFullError);
      expect(refused).toMatchObject({ accountId: 'b', deviceId: 1, limit: 'bytes' });
      expect(await store.depth('c', 1, 1000)).toBe(0); // the other device's envelope was not written either
      const [first] = await store.pending('b', 1, 1000, 1);
      expect(await store.acknowledgeMany('b', 1, [first!.id, 'no-such-id'])).toBe(1);
      await store.enqueue([env('b', 1, 3, 300)], 1000, 60_000, 100, 1000);
      expect(await store.depth('b', 1, 1000)).toBe(2);
    });

    it('concurrent enqueues: a full queue refuses only its own send', async () => {
      const { store } = opened;
      const now = 1_000;
      const e1 = (accountId: string, marker: number) => ({ accountId, deviceId: 1, content: Uint8Array.of(0x11, marker) });
      await store.enqueue([e1('full', 0), e1('full', 1)], now, 60_000, 10);
      const results = await Promise.allSettled([
        store.enqueue([e1('a', 1)], now, 60_000, 2),
        store.enqueue([e1('other', 7), e1('full', 2)], now, 60_000, 2),
        store.enqueue([e1('a', 2)], now, 60_000, 2),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
      expect((await store.pending('a', 1, now, 10)).map((e) => Array.from(e.content)).sort()).toEqual([
        [0x11, 1],
        [0x11, 2],
      ]);
      expect(await store.depth('other', 1, now)).toBe(0);
      expect(await store.depth('full', 1, now)).toBe(2);
      const ids = (await store.pending('a', 1, now, 10)).map((e) => e.id);
      expect(await store.acknowledgeMany('a', 1, ids)).toBe(2);
      expect(await store.depth('a', 1, now)).toBe(0);
    });

    it('two instances enqueueing at once never overshoot a device limit', async () => {
      const a = opened.store;
      const b = await opened.second();
      const sends = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).enqueue([env('hot', 1, i), env('hot', 2, i)], 1000, 60_000, 15, 15 * 2));
      const results = await Promise.allSettled(sends);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(15);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(QueueFullError);
      expect(await a.depth('hot', 1, 1000)).toBe(15);
      expect(await b.depth('hot', 2, 1000)).toBe(15);
      // Each device's rows come back in seq order, both instances' rows interleaved.
      const seqs = (await b.pending('hot', 1, 1000, 100)).map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      // Bytes are checked the same way: 1-byte headroom left on a 40-byte queue.
      const sizes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).enqueue([env('bytes', 1, i, 13)], 1000, 60_000, 100, 40)));
      expect(sizes.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    });

    it('pending windows: after a seq, up to a count, within a byte bound (the first always)', async () => {
      const { store } = opened;
      const rows = await store.enqueue([1, 2, 3, 4, 5].map((m) => env('w', 1, m, 100 * m)), 1000, 60_000, 100);
      const markers = async (limit: number, after?: number, maxBytes?: number) => (await store.pending('w', 1, 1000, limit, after, maxBytes)).map((e) => e.content[1]);
      expect(await markers(10)).toEqual([1, 2, 3, 4, 5]);
      expect(await markers(2)).toEqual([1, 2]);
      expect(await markers(10, rows[1]!.seq)).toEqual([3, 4, 5]);
      expect(await markers(10, 0, 600)).toEqual([1, 2, 3]); // 100 + 200 + 300
      expect(await markers(10, 0, 599)).toEqual([1, 2]);
      expect(await markers(10, rows[3]!.seq, 1)).toEqual([5]); // larger than the bound, alone
      expect(await markers(10, 0, 0)).toEqual([1]);
      expect(await markers(0)).toEqual([]);
      expect(await store.pending('w', 1, 61_000, 10)).toEqual([]); // expired: never served
      expect(await store.depth('w', 1, 61_000)).toBe(0);
    });

    it('expiry deletes every expired envelope however many (PostgreSQL sweeps in batches of 5,000) and frees the counters', async () => {
      const { store } = opened;
      const many = Array.from({ length: 6_200 }, (_, i) => env(`m${i % 31}`, 1 + (i % 3), i & 0xff));
      await store.enqueue(many, 1000, 100, 1000);
      await store.enqueue([env('m0', 1, 1)], 5000, 100, 1000);
      expect(await store.deleteExpired(2000)).toBe(6_200);
      expect(await store.depth('m0', 1, 5000)).toBe(1);
      await store.enqueue(Array.from({ length: 999 }, () => env('m0', 1, 2)), 5000, 100, 1000); // the counter was lowered
      await expect(store.enqueue([env('m0', 1, 3)], 5000, 100, 1000)).rejects.toThrow(QueueFullError);
    });

    it('access-key hashes: absent, registered, replaced', async () => {
      const { store } = opened;
      expect(await store.accessKeyHash('k')).toBeUndefined();
      await store.setAccessKeyHash('k', new Uint8Array(32).fill(1));
      await store.setAccessKeyHash('k', new Uint8Array(32).fill(2));
      expect(await store.accessKeyHash('k')).toEqual(new Uint8Array(32).fill(2));
      expect(await (await opened.second()).accessKeyHash('k')).toEqual(new Uint8Array(32).fill(2));
    });

    it('commits writes still queued when the store closes', async () => {
      const write = opened.store.enqueue([{ accountId: 'a', deviceId: 1, content: Uint8Array.of(0x11) }], 1, 60_000, 10);
      await opened.store.close();
      expect(await write).toHaveLength(1);
      expect(await (await opened.second()).depth('a', 1, 1)).toBe(1);
    });
  });
}

describe('SqliteEnvelopeStore migrations', () => {
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
    // Byte counts of the old rows came through the migrations too (2 bytes each).
    await expect(store.enqueue([env('a', 1, 9, 2)], 1, 100, 100, 9)).rejects.toThrow(QueueFullError);
    await store.enqueue([env('a', 1, 9, 2)], 1, 100, 100, 10);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
