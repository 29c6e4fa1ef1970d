/**
 * Issue 11 item 14: the `quarantine` and `sentLog` store roles, in both
 * stores — bounded (oldest evicted first), transactional, and added to an
 * existing SQLite database by migration 4.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { quarantineEnvelope, type QuarantineLimits } from '../src/quarantine.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import { KvStore } from '../src/store/kv/store.ts';
import { MemoryKvBackend } from '../src/store/kv/backend.ts';
import type { ClientStore } from '../src/store/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-quarantine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alice = { account: 'acct-a', device: 2 };
const entry = (id: string, size: number, at: number) => ({
  envelopeId: id,
  content: new Uint8Array(size).fill(at & 0xff),
  receivedAt: at,
  quarantinedAt: at,
  sender: id.endsWith('unknown') ? undefined : alice,
  reason: 'NO_SESSION',
  detail: 'no session with acct-a.2',
});

const stores: [string, () => ClientStore][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(join(dir, `q-${Math.random().toString(36).slice(2)}.db`))],
  ['key/value', () => new KvStore(new MemoryKvBackend())],
];

describe.each(stores)('%s store: quarantine and sent log', (_name, open) => {
  it('keeps entries, counts attempts on a re-put, lists oldest first and deletes', async () => {
    const s = open();
    await s.quarantine.put(entry('e1', 10, 1));
    await s.quarantine.put(entry('e2-unknown', 20, 2));
    await s.quarantine.put({ ...entry('e1', 10, 5), reason: 'BAD_MAC', detail: 'again' });
    const list = await s.quarantine.list();
    expect(list.map((e) => [e.envelopeId, e.attempts, e.reason])).toEqual([
      ['e1', 2, 'BAD_MAC'],
      ['e2-unknown', 1, 'NO_SESSION'],
    ]);
    expect(list[0]).toMatchObject({ sender: alice, receivedAt: 1, quarantinedAt: 5, content: new Uint8Array(10).fill(1) });
    expect(list[1]!.sender).toBeUndefined();
    expect(await s.quarantine.totals()).toEqual({ count: 2, bytes: 30 });
    expect(await s.quarantine.remove('e1')).toBe(true);
    expect(await s.quarantine.remove('e1')).toBe(false);
    expect(await s.quarantine.get('e2-unknown')).toMatchObject({ envelopeId: 'e2-unknown' });
    await s.close();
  });

  it('is bounded in count and bytes: the oldest entries are evicted, inside the transaction', async () => {
    const s = open();
    const limits: QuarantineLimits = { maxEntries: 3, maxBytes: 100, maxAutoAttempts: 5 };
    const evicted: string[] = [];
    for (let i = 1; i <= 5; i++) evicted.push(...(await s.transaction((tx) => quarantineEnvelope(tx, entry(`c${i}`, 10, i), limits))));
    expect(evicted).toEqual(['c1', 'c2']);
    expect((await s.quarantine.list()).map((e) => e.envelopeId)).toEqual(['c3', 'c4', 'c5']);
    // 80 bytes more (4 entries, 110 bytes): c3 goes, which brings both bounds back (3 entries, 100 bytes).
    evicted.length = 0;
    evicted.push(...(await s.transaction((tx) => quarantineEnvelope(tx, entry('big', 80, 9), limits))));
    expect(evicted).toEqual(['c3']);
    expect(await s.quarantine.totals()).toEqual({ count: 3, bytes: 100 });
    // A rolled-back transaction leaves the quarantine as it was, evictions included.
    await expect(
      s.transaction(async (tx) => {
        await quarantineEnvelope(tx, entry('late', 50, 10), limits);
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect((await s.quarantine.list()).map((e) => e.envelopeId)).toEqual(['c4', 'c5', 'big']);
    await s.close();
  });

  it('sent log: find and remove by device and ratchet key, prune by age and count', async () => {
    const s = open();
    const key = (b: number) => new Uint8Array(33).fill(b);
    const sent = (recipient: typeof alice, ratchet: number, timestamp: number, sentAt: number) => ({ recipient, ratchetKey: key(ratchet), timestamp, content: Uint8Array.of(timestamp), sentAt, resends: 0 });
    await s.sentLog.add(sent(alice, 1, 10, 100));
    await s.sentLog.add(sent(alice, 1, 11, 101));
    await s.sentLog.add(sent(alice, 2, 12, 102));
    await s.sentLog.add(sent({ account: 'acct-a', device: 3 }, 1, 13, 103));
    expect((await s.sentLog.find(alice, key(1))).map((e) => e.timestamp)).toEqual([10, 11]);
    await s.sentLog.removeTimestamp(alice, key(1), 10);
    expect((await s.sentLog.find(alice, key(1))).map((e) => e.timestamp)).toEqual([11]);
    await s.sentLog.remove(alice, key(1));
    expect(await s.sentLog.find(alice, key(1))).toEqual([]);
    expect(await s.sentLog.count()).toBe(2);
    await s.sentLog.add(sent(alice, 3, 14, 104));
    await s.sentLog.add(sent(alice, 3, 15, 105));
    await s.sentLog.prune(103, 2);
    expect((await s.sentLog.find(alice, key(3))).map((e) => e.timestamp)).toEqual([14, 15]);
    expect(await s.sentLog.count()).toBe(2);
    await s.close();
  });
});

describe('sqlite migration 4', () => {
  it('adds the quarantine and sent log to a version-3 database, keeping its data', async () => {
    const path = join(dir, 'v3.db');
    const old = new Database(path);
    old.function('sealpost_base64_decode', (t: unknown) => Buffer.from(String(t), 'base64'));
    for (let v = 0; v < 3; v++) old.exec(MIGRATIONS[v]!);
    old.pragma('user_version = 3');
    old.prepare('INSERT INTO sessions (account, device, record) VALUES (?, ?, ?)').run('acct-a', 2, Buffer.from([7]));
    old.close();
    const s = new SqliteStore(path);
    expect(s.schemaVersion).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(4);
    expect(await s.sessions.load(alice)).toEqual(Uint8Array.of(7));
    await s.quarantine.put(entry('m1', 4, 1));
    expect(await s.quarantine.totals()).toEqual({ count: 1, bytes: 4 });
    await s.close();
  });
});
