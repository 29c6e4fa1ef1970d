import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import type { ClientStore } from '../src/store/types.ts';
import { withSessionTransaction } from '../src/session-transaction.ts';
import { ClientError } from '../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

const implementations: [string, () => ClientStore][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(join(dir, `s${fileNo++}.db`))],
];

const peer = { account: 'acct-b', device: 2 };
const bytes = (...v: number[]) => Uint8Array.from(v);

describe.each(implementations)('%s store', (_name, open) => {
  it('round-trips sessions, identities, account and settings', () => {
    const s = open();
    expect(s.getLocalAccount()).toBeUndefined();
    s.setLocalAccount({ identityPrivateKey: bytes(1, 2), identityPublicKey: bytes(3, 4), registrationId: 77, account: 'a', device: 1, deviceSecret: 'x' });
    expect(s.getLocalAccount()).toEqual({ identityPrivateKey: bytes(1, 2), identityPublicKey: bytes(3, 4), registrationId: 77, account: 'a', device: 1, deviceSecret: 'x' });
    s.storeSession(peer, bytes(9, 9));
    s.storeSession({ account: 'acct-b', device: 1 }, bytes(8));
    expect(s.loadSession(peer)).toEqual(bytes(9, 9));
    expect(s.sessionDevices('acct-b')).toEqual([1, 2]);
    s.deleteSession(peer);
    expect(s.loadSession(peer)).toBeUndefined();
    s.setTrustedIdentity('acct-b', bytes(5), 1000);
    expect(s.getTrustedIdentity('acct-b')).toEqual({ identityKey: bytes(5), trustedAt: 1000, verified: false });
    s.setSetting('k', 'v');
    expect(s.getSetting('k')).toBe('v');
    s.close();
  });

  it('rolls back every write of a step that throws, leaving the record byte-identical', () => {
    const s = open();
    s.storeSession(peer, bytes(1, 2, 3));
    const before = s.messageCount();
    expect(() =>
      withSessionTransaction(s, peer, (record) => {
        s.addMessage({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 5, content: bytes(1), envelopeId: 'e1', storedAt: 1 });
        s.markEnvelopeProcessed('e1', 1);
        s.setTrustedIdentity('acct-b', bytes(7), 1);
        s.storePreKey({ kind: 'ec', id: 5, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
        s.storeSession(peer, bytes(0));
        expect(record).toEqual(bytes(1, 2, 3));
        throw new Error('bad MAC');
      }),
    ).toThrow('bad MAC');
    expect(s.loadSession(peer)).toEqual(bytes(1, 2, 3));
    expect(s.messageCount()).toBe(before);
    expect(s.isEnvelopeProcessed('e1')).toBe(false);
    expect(s.getTrustedIdentity('acct-b')).toBeUndefined();
    expect(s.loadPreKey('ec', 5)).toBeUndefined();
    // The same envelope id can be stored after the rollback.
    s.addMessage({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 5, content: bytes(1), envelopeId: 'e1', storedAt: 1 });
    expect(s.messageCount('in')).toBe(before + 1);
    s.close();
  });

  it('commits the record and its message together', () => {
    const s = open();
    const id = withSessionTransaction(s, peer, (record) => {
      expect(record).toBeUndefined();
      const id = s.addMessage({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 9, content: bytes(4), envelopeId: 'e9', storedAt: 2 });
      return { record: bytes(42), result: id };
    });
    expect(s.loadSession(peer)).toEqual(bytes(42));
    expect(s.undeliveredMessages().map((m) => m.id)).toEqual([id]);
    s.markDelivered(id);
    expect(s.undeliveredMessages()).toEqual([]);
    expect(s.conversation('acct-b')[0]).toMatchObject({ id, timestamp: 9, envelopeId: 'e9', delivered: true, sender: peer });
    expect(() => s.addMessage({ direction: 'in', peer: 'acct-b', sender: peer, timestamp: 9, content: bytes(4), envelopeId: 'e9', storedAt: 2 })).toThrow();
    s.close();
  });

  it('allocates prekey ids monotonically, never reusing an id still in use, wrapping at 2^24', () => {
    const s = open();
    expect(s.allocatePreKeyIds('ec', 3)).toEqual([1, 2, 3]);
    expect(s.allocatePreKeyIds('ec', 2)).toEqual([4, 5]);
    expect(s.allocatePreKeyIds('kyber', 2)).toEqual([1, 2]);
    // An id still in use (e.g. a key restored from elsewhere) is skipped.
    s.storePreKey({ kind: 'ec', id: 7, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
    expect(s.allocatePreKeyIds('ec', 3)).toEqual([6, 8, 9]);
    s.close();
  });

  it('marks replaced keys once and keeps outbox batches in order', () => {
    const s = open();
    s.storePreKey({ kind: 'kyber', id: 3, record: bytes(1), createdAt: 10, lastResort: true, replacedAt: undefined });
    s.markPreKeyReplaced('kyber', 3, 50);
    s.markPreKeyReplaced('kyber', 3, 99);
    expect(s.loadPreKey('kyber', 3)).toMatchObject({ lastResort: true, replacedAt: 50 });
    for (const [batchId, device] of [['b1', 1], ['b1', 2], ['b2', 1]] as const) {
      s.addOutbox({ batchId, recipient: { account: 'x', device }, registrationId: device, envelope: bytes(device), createdAt: 1 });
    }
    expect(s.outboxBatches().map((b) => b.map((e) => `${e.batchId}/${e.recipient.device}`))).toEqual([['b1/1', 'b1/2'], ['b2/1']]);
    s.removeOutboxBatch('b1');
    expect(s.outboxBatches().map((b) => b.length)).toEqual([1]);
    const parked = { direction: 'out' as const, peer: 'x', sender: { account: 'me', device: 1 }, timestamp: 7, content: bytes(9), envelopeId: undefined, storedAt: 8, delivered: true };
    s.setPendingSent('b2', parked);
    expect(s.takePendingSent('b2')).toEqual(parked);
    expect(s.takePendingSent('b2')).toBeUndefined();
    s.close();
  });
});

describe('sqlite store', () => {
  it('migrates once, survives reopening, and refuses a newer schema', () => {
    const path = join(dir, 'migrate.db');
    const a = new SqliteStore(path);
    expect(a.schemaVersion).toBe(MIGRATIONS.length);
    a.storeSession(peer, bytes(1));
    a.close();
    const b = new SqliteStore(path);
    expect(b.loadSession(peer)).toEqual(bytes(1));
    expect(String(b.db.pragma('journal_mode', { simple: true }))).toBe('wal');
    b.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    b.close();
    let error: unknown;
    try {
      new SqliteStore(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('STORE_VERSION');
  });

  it('wraps prekey ids at 2^24 - 1 and skips ids still in use', () => {
    const s = new SqliteStore(join(dir, 'wrap.db'));
    s.storePreKey({ kind: 'signed', id: 1, record: bytes(1), createdAt: 1, lastResort: false, replacedAt: undefined });
    s.db.prepare("INSERT INTO prekey_counters (kind, next_id) VALUES ('signed', ?)").run(0xfffffe);
    expect(s.allocatePreKeyIds('signed', 3)).toEqual([0xfffffe, 0xffffff, 2]);
    s.close();
  });

  it('serializes steps of several processes on one database file: no step lost or interleaved', async () => {
    const path = join(dir, 'shared.db');
    new SqliteStore(path).close();
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
    const record = s.loadSession({ account: 'peer', device: 1 })!;
    expect(new DataView(record.buffer, record.byteOffset).getUint32(0)).toBe(workers * steps);
    const messages = s.conversation('peer', 10_000);
    expect(messages).toHaveLength(workers * steps);
    // Each step saw a distinct counter value: 1..N exactly once.
    expect(messages.map((m) => m.timestamp).sort((x, y) => x - y)).toEqual(Array.from({ length: workers * steps }, (_, i) => i + 1));
    // Every worker's every step landed.
    const tags = new Set(messages.map((m) => new TextDecoder().decode(m.content)));
    expect(tags.size).toBe(workers * steps);
    s.close();
  });
});
