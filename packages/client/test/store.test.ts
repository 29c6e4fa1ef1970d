import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import { KvStore } from '../src/store/kv/store.ts';
import { MemoryKvBackend } from '../src/store/kv/backend.ts';
import type { ClientStore } from '../src/store/types.ts';
import { ClientError } from '../src/errors.ts';
import { storeContract } from './support/store-contract.ts';
import { receiptStoreContract } from './support/receipt-store-contract.ts';
import { conversationsContract } from './support/conversations-contract.ts';
import { ktStoreContract } from './support/kt-store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

const implementations: [string, () => ClientStore][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(join(dir, `s${fileNo++}.db`))],
  // The browser store's layer (IndexedDB under it in a browser: test/browser/).
  ['key/value', () => new KvStore(new MemoryKvBackend())],
];

const peer = { account: 'acct-b', device: 2 };
const bytes = (...v: number[]) => Uint8Array.from(v);

describe.each(implementations)('%s store', (_name, open) => storeContract(open));
describe.each(implementations)('%s store: receipts role', (_name, open) => receiptStoreContract(open));
describe.each(implementations)('%s store: conversations', (_name, open) => conversationsContract(open));
describe.each(implementations)('%s store: key transparency role', (_name, open) => ktStoreContract(open));

describe('sqlite store', () => {
  it('migrates once, survives reopening, and refuses a newer schema', async () => {
    const path = join(dir, 'migrate.db');
    const a = new SqliteStore(path);
    expect(a.schemaVersion).toBe(MIGRATIONS.length);
    await a.sessions.store(peer, bytes(1));
    await a.close();
    const b = new SqliteStore(path);
    expect(await b.sessions.load(peer)).toEqual(bytes(1));
    expect(String(b.db.pragma('journal_mode', { simple: true }))).toBe('wal');
    b.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    await b.close();
    let error: unknown;
    try {
      new SqliteStore(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('STORE_VERSION');
  });

  it('wraps prekey ids at 2^24 - 1 and skips ids still in use', async () => {
    const s = new SqliteStore(join(dir, 'wrap.db'));
    await s.signedPreKeys.store({ kind: 'signed', id: 1, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
    s.db.prepare("INSERT INTO prekey_counters (kind, next_id) VALUES ('signed', ?)").run(0xfffffe);
    expect(await s.signedPreKeys.allocateIds(3)).toEqual([0xfffffe, 0xffffff, 2]);
    await s.close();
  });

  it('upgrades a version-2 database: contacts move out of the settings strings', async () => {
    const path = join(dir, 'v2.db');
    const old = new Database(path);
    for (let v = 0; v < 2; v++) old.exec(MIGRATIONS[v]!);
    old.pragma('user_version = 2');
    const profileKey = Uint8Array.from({ length: 32 }, (_, i) => i);
    old.prepare('INSERT INTO settings (key, value) VALUES (?, ?), (?, ?)').run('contact.profileKey.acct-z', Buffer.from(profileKey).toString('base64'), 'upkeep.current.signed', '4');
    old.close();
    const s = new SqliteStore(path);
    expect(s.schemaVersion).toBe(MIGRATIONS.length);
    expect(await s.contacts.get('acct-z')).toEqual({ account: 'acct-z', profileKey, updatedAt: 0 });
    expect(await s.settings.get('contact.profileKey.acct-z')).toBeUndefined();
    expect(await s.settings.get('upkeep.current.signed')).toBe('4');
    await s.close();
  });

  it('serializes steps of several processes on one database file: no step lost or interleaved', async () => {
    const path = join(dir, 'shared.db');
    await new SqliteStore(path).close();
    const workers = 3;
    const steps = 150;
    const worker = join(import.meta.dirname, 'fixtures', 'step-worker.ts');
    await Promise.all(
      Array.from({ length: workers }, (_, w) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', worker, path, String(steps), `w${w}`], { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${w} exited ${code}: ${err}`))));
        }),
      ),
    );
    const s = new SqliteStore(path);
    const record = (await s.sessions.load({ account: 'peer', device: 1 }))!;
    expect(new DataView(record.buffer, record.byteOffset).getUint32(0)).toBe(workers * steps);
    const messages = await s.history.conversation('peer', 10_000);
    expect(messages).toHaveLength(workers * steps);
    // Each step saw a distinct counter value: 1..N exactly once.
    expect(messages.map((m) => m.timestamp).sort((x, y) => x - y)).toEqual(Array.from({ length: workers * steps }, (_, i) => i + 1));
    // Every worker's every step landed.
    const tags = new Set(messages.map((m) => new TextDecoder().decode(m.content)));
    expect(tags.size).toBe(workers * steps);
    await s.close();
  });
});
