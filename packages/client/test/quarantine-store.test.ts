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
import { alice, entry, quarantineContract } from './support/quarantine-contract.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import { KvStore } from '../src/store/kv/store.ts';
import { MemoryKvBackend } from '../src/store/kv/backend.ts';
import type { ClientStore } from '../src/store/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-quarantine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores: [string, () => ClientStore][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(join(dir, `q-${Math.random().toString(36).slice(2)}.db`))],
  ['key/value', () => new KvStore(new MemoryKvBackend())],
];

describe.each(stores)('%s store: quarantine and sent log', (_name, open) => quarantineContract(open));

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
