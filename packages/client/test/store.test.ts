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
import { runSessionStep, withSessionTransaction } from '../src/session-transaction.ts';
import { ClientError, KyberPreKeyReplayError } from '../src/errors.ts';

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

describe.each(implementations)('%s store', (_name, open) => {
  it('round-trips sessions, identities, account and settings', async () => {
    const s = open();
    expect(await s.identities.localAccount()).toBeUndefined();
    await s.identities.setLocalAccount({ identityPrivateKey: bytes(1, 2), identityPublicKey: bytes(3, 4), registrationId: 77, account: 'a', device: 1, deviceSecret: 'x', profileKey: bytes(6) });
    expect(await s.identities.localAccount()).toEqual({ identityPrivateKey: bytes(1, 2), identityPublicKey: bytes(3, 4), registrationId: 77, account: 'a', device: 1, deviceSecret: 'x', profileKey: bytes(6) });
    await s.sessions.store(peer, bytes(9, 9));
    await s.sessions.store({ account: 'acct-b', device: 1 }, bytes(8));
    expect(await s.sessions.load(peer)).toEqual(bytes(9, 9));
    expect(await s.sessions.devices('acct-b')).toEqual([1, 2]);
    await s.sessions.remove(peer);
    expect(await s.sessions.load(peer)).toBeUndefined();
    await s.identities.trust('acct-b', bytes(5), 1000);
    expect(await s.identities.trusted('acct-b')).toEqual({ identityKey: bytes(5), trustedAt: 1000, verified: false });
    await s.settings.set('k', 'v');
    expect(await s.settings.get('k')).toBe('v');
    await s.contacts.set({ account: 'acct-b', profileKey: bytes(7), updatedAt: 3 });
    expect(await s.contacts.get('acct-b')).toEqual({ account: 'acct-b', profileKey: bytes(7), updatedAt: 3 });
    await s.close();
  });

  it('rolls back every write of a step that throws, leaving the record byte-identical', async () => {
    const s = open();
    await s.sessions.store(peer, bytes(1, 2, 3));
    const before = await s.history.count();
    await expect(
      s.transaction(async (tx) => {
        await tx.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 5, content: bytes(1), envelopeId: 'e1', storedAt: 1 });
        await tx.history.markProcessed('e1', 1);
        await tx.identities.trust('acct-b', bytes(7), 1);
        await tx.preKeys.store({ kind: 'ec', id: 5, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
        await runSessionStep(tx, peer, (record) => {
          expect(record).toEqual(bytes(1, 2, 3));
          return { record: bytes(0), result: undefined };
        });
        throw new Error('bad MAC');
      }),
    ).rejects.toThrow('bad MAC');
    expect(await s.sessions.load(peer)).toEqual(bytes(1, 2, 3));
    expect(await s.history.count()).toBe(before);
    expect(await s.history.isProcessed('e1')).toBe(false);
    expect(await s.identities.trusted('acct-b')).toBeUndefined();
    expect(await s.preKeys.load(5)).toBeUndefined();
    // The same envelope id can be stored after the rollback.
    await s.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 5, content: bytes(1), envelopeId: 'e1', storedAt: 1 });
    expect(await s.history.count('in')).toBe(before + 1);
    await s.close();
  });

  it('commits the record and its message together', async () => {
    const s = open();
    const id = await withSessionTransaction(
      s,
      peer,
      (record) => {
        expect(record).toBeUndefined();
        return { record: bytes(42), result: undefined };
      },
      (tx) => tx.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 9, content: bytes(4), envelopeId: 'e9', storedAt: 2 }),
    );
    expect(await s.sessions.load(peer)).toEqual(bytes(42));
    expect((await s.history.undelivered()).map((m) => m.id)).toEqual([id]);
    await s.history.markDelivered(id);
    expect(await s.history.undelivered()).toEqual([]);
    expect((await s.history.conversation('acct-b'))[0]).toMatchObject({ id, timestamp: 9, envelopeId: 'e9', delivered: true, sender: peer });
    await expect(s.history.add({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 9, content: bytes(4), envelopeId: 'e9', storedAt: 2 })).rejects.toThrow();
    await s.close();
  });

  it('never interleaves two async transactions', async () => {
    const s = open();
    const log: string[] = [];
    const step = (tag: string) =>
      s.transaction(async (tx) => {
        log.push(`begin ${tag}`);
        const record = await tx.sessions.load(peer);
        await new Promise((r) => setTimeout(r, 5));
        await tx.sessions.store(peer, bytes((record?.[0] ?? 0) + 1));
        log.push(`end ${tag}`);
      });
    // A role call outside a transaction waits for the running one too.
    await Promise.all([step('a'), step('b'), s.sessions.store({ account: 'other', device: 1 }, bytes(1)), step('c')]);
    expect(log).toEqual(['begin a', 'end a', 'begin b', 'end b', 'begin c', 'end c']);
    expect(await s.sessions.load(peer)).toEqual(bytes(3));
    await s.close();
  });

  it('allocates prekey ids monotonically, never reusing an id still in use, wrapping at 2^24', async () => {
    const s = open();
    expect(await s.preKeys.allocateIds(3)).toEqual([1, 2, 3]);
    expect(await s.preKeys.allocateIds(2)).toEqual([4, 5]);
    expect(await s.kyberPreKeys.allocateIds(2)).toEqual([1, 2]);
    // An id still in use (e.g. a key restored from elsewhere) is skipped.
    await s.preKeys.store({ kind: 'ec', id: 7, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
    expect(await s.preKeys.allocateIds(3)).toEqual([6, 8, 9]);
    await s.close();
  });

  it('marks replaced keys once and keeps outbox batches in order', async () => {
    const s = open();
    await s.kyberPreKeys.store({ kind: 'kyber', id: 3, record: bytes(1), createdAt: 10, lastResort: true, replacedAt: undefined });
    await s.kyberPreKeys.markReplaced(3, 50);
    await s.kyberPreKeys.markReplaced(3, 99);
    expect(await s.kyberPreKeys.load(3)).toMatchObject({ lastResort: true, replacedAt: 50 });
    for (const [batchId, device] of [['b1', 1], ['b1', 2], ['b2', 1]] as const) {
      await s.outbox.add({ batchId, recipient: { account: 'x', device }, registrationId: device, envelope: bytes(device), createdAt: 1 });
    }
    expect((await s.outbox.batches()).map((b) => b.map((e) => `${e.batchId}/${e.recipient.device}`))).toEqual([['b1/1', 'b1/2'], ['b2/1']]);
    await s.outbox.removeBatch('b1');
    expect((await s.outbox.batches()).map((b) => b.length)).toEqual([1]);
    const parked = { direction: 'out' as const, peer: 'x', sender: { account: 'me', device: 1 }, timestamp: 7, content: bytes(9), envelopeId: undefined, storedAt: 8, delivered: true };
    await s.outbox.park('b2', parked);
    expect(await s.outbox.takeParked('b2')).toEqual(parked);
    expect(await s.outbox.takeParked('b2')).toBeUndefined();
    await s.close();
  });

  it('marks Kyber prekeys used as libsignal does: one-time removed, last-resort recorded, a repeat refused', async () => {
    const s = open();
    await s.kyberPreKeys.store({ kind: 'kyber', id: 1, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
    await s.kyberPreKeys.store({ kind: 'kyber', id: 2, record: bytes(2), createdAt: 1, lastResort: true, replacedAt: undefined });
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(1, 5, bytes(9))).toBe('removed');
    expect(await s.kyberPreKeys.load(1)).toBeUndefined();
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(2, 5, bytes(9))).toBe('recorded');
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(2, 5, bytes(8))).toBe('recorded');
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(2, 6, bytes(9))).toBe('recorded');
    await expect(s.kyberPreKeys.markKyberPreKeyUsed(2, 5, bytes(9))).rejects.toBeInstanceOf(KyberPreKeyReplayError);
    // A failed transaction leaves no record behind.
    await expect(
      s.transaction(async (tx) => {
        await tx.kyberPreKeys.markKyberPreKeyUsed(2, 7, bytes(1));
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect(await s.kyberPreKeys.markKyberPreKeyUsed(2, 7, bytes(1))).toBe('recorded');
    expect(await s.kyberPreKeys.load(2)).toMatchObject({ lastResort: true });
    await s.close();
  });
});

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
