/** The group roles of every store (memory, SQLite, the browser store's key/value layout) (groups + change log, sender keys): round trips, rollback, migration 5. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryKvBackend } from '../../src/store/kv/backend.ts';
import { KvStore } from '../../src/store/kv/store.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { SqliteStore } from '../../src/sqlite.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import type { ClientStore, StoredGroup } from '../../src/store/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-group-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const implementations: [string, () => ClientStore][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(join(dir, `g${fileNo++}.db`))],
  ['key/value', () => new KvStore(new MemoryKvBackend())],
];

const group = (over: Partial<StoredGroup> = {}): StoredGroup => ({
  groupId: 'ab'.repeat(32),
  epoch: 3,
  change: Uint8Array.of(1, 2, 3),
  distributionId: '6c3f9a2e-1b7d-4c5e-9f00-0123456789ab',
  distributionCreatedAt: 1000,
  sharedWith: [{ account: 'acct-b', device: 2, registrationId: 77 }],
  conflict: undefined,
  updatedAt: 2000,
  ...over,
});
const bob = { account: 'acct-b', device: 2 };

describe.each(implementations)('%s store: group roles', (_name, open) => {
  it('round-trips group records, the change log and sender-key records', async () => {
    const s = open();
    expect(await s.groups.get('ab'.repeat(32))).toBeUndefined();
    await s.groups.put(group());
    expect(await s.groups.get('ab'.repeat(32))).toEqual(group());
    const frozen = group({ distributionId: undefined, distributionCreatedAt: undefined, sharedWith: [], conflict: { epoch: 4, hash: new Uint8Array(32).fill(9) } });
    await s.groups.put(frozen);
    await s.groups.put(group({ groupId: '01'.repeat(32) }));
    expect((await s.groups.list()).map((g) => g.groupId)).toEqual(['01'.repeat(32), 'ab'.repeat(32)]);
    expect(await s.groups.get('ab'.repeat(32))).toEqual(frozen);

    for (const epoch of [2, 0, 1]) await s.groups.addChange('ab'.repeat(32), epoch, Uint8Array.of(epoch));
    await s.groups.addChange('ab'.repeat(32), 1, Uint8Array.of(99)); // an epoch keeps its first change
    expect(await s.groups.change('ab'.repeat(32), 1)).toEqual(Uint8Array.of(1));
    expect(await s.groups.change('ab'.repeat(32), 5)).toBeUndefined();
    expect(await s.groups.changesAfter('ab'.repeat(32), 0, 10)).toEqual([Uint8Array.of(1), Uint8Array.of(2)]);
    expect(await s.groups.changesAfter('ab'.repeat(32), -1, 2)).toEqual([Uint8Array.of(0), Uint8Array.of(1)]);
    expect(await s.groups.changesAfter('01'.repeat(32), -1, 10)).toEqual([]);

    const dist = '6c3f9a2e-1b7d-4c5e-9f00-0123456789ab';
    await s.senderKeys.store(bob, dist, Uint8Array.of(5));
    await s.senderKeys.store({ account: 'acct-b', device: 1 }, dist, Uint8Array.of(6));
    await s.senderKeys.store(bob, dist, Uint8Array.of(7));
    expect(await s.senderKeys.load(bob, dist)).toEqual(Uint8Array.of(7));
    expect(await s.senderKeys.load(bob, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    await s.senderKeys.remove(bob, dist);
    expect(await s.senderKeys.load(bob, dist)).toBeUndefined();
    expect(await s.senderKeys.load({ account: 'acct-b', device: 1 }, dist)).toEqual(Uint8Array.of(6));
    await s.close();
  });

  it('a transaction that fails leaves group records, the log and sender keys as they were', async () => {
    const s = open();
    await s.groups.put(group());
    await s.senderKeys.store(bob, 'd', Uint8Array.of(1));
    await expect(
      s.transaction(async (tx) => {
        await tx.groups.put(group({ epoch: 4, change: Uint8Array.of(4) }));
        await tx.groups.addChange('ab'.repeat(32), 4, Uint8Array.of(4));
        await tx.senderKeys.store(bob, 'd', Uint8Array.of(2));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await s.groups.get('ab'.repeat(32))).toEqual(group());
    expect(await s.groups.change('ab'.repeat(32), 4)).toBeUndefined();
    expect(await s.senderKeys.load(bob, 'd')).toEqual(Uint8Array.of(1));
    await s.close();
  });
});

describe('sqlite migration 5', () => {
  it('adds the group tables to a version-4 database, keeping its data', async () => {
    const path = join(dir, 'v4.db');
    const old = new Database(path);
    old.function('sealpost_base64_decode', (t: unknown) => Buffer.from(String(t), 'base64'));
    for (let v = 0; v < 4; v++) old.exec(MIGRATIONS[v]!);
    old.pragma('user_version = 4');
    old.prepare('INSERT INTO sessions (account, device, record) VALUES (?, ?, ?)').run('acct-b', 2, Buffer.from([7]));
    old.close();
    const s = new SqliteStore(path);
    expect(s.schemaVersion).toBe(MIGRATIONS.length);
    expect(await s.sessions.load(bob)).toEqual(Uint8Array.of(7));
    await s.groups.put(group());
    expect(await s.groups.get('ab'.repeat(32))).toEqual(group());
    await s.close();
  });
});
