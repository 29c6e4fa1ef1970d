/** The edits contract on the memory, SQLite and key/value stores; SQLite: migration 8 and the overwrite of replaced plaintext on disk. */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryKvBackend } from '../src/store/kv/backend.ts';
import { KvStore } from '../src/store/kv/store.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import type { ClientStore } from '../src/store/types.ts';
import { editsContract } from './support/edits-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-edits-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const implementations: [string, () => ClientStore][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(join(dir, `e${fileNo++}.db`))],
  ['key/value', () => new KvStore(new MemoryKvBackend())],
];

describe.each(implementations)('%s store', (_name, open) => editsContract(open));

describe('sqlite store: edits', () => {
  it('has the edits table after migrating, and secure_delete on', async () => {
    const s = new SqliteStore(join(dir, 'schema.db'));
    expect(s.schemaVersion).toBe(MIGRATIONS.length);
    const tables = (s.db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['message_edits', 'message_edits_message', 'messages_ref']));
    expect(Number(s.db.pragma('secure_delete', { simple: true }))).toBe(1);
    await s.close();
  });

  it('adds the edits table to a database one migration before it, keeping its messages (found by reference and editable)', async () => {
    // Found by content, not position: the lead orders issue 18's migrations at merge.
    const at = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE message_edits'));
    expect(at).toBeGreaterThan(0);
    const path = join(dir, 'before-edits.db');
    const old = new Database(path);
    old.function('sealpost_base64_decode', (t: unknown) => Buffer.from(String(t), 'base64'));
    for (let v = 0; v < at; v++) old.exec(MIGRATIONS[v]!);
    old.pragma(`user_version = ${at}`);
    old.prepare("INSERT INTO messages (direction, peer, sender_account, sender_device, timestamp, content, envelope_id, stored_at, delivered) VALUES ('in', 'p', 'p', 1, 77, ?, 'e', 1, 1)").run(Buffer.from([1, 2]));
    old.close();
    const s = new SqliteStore(path);
    expect(s.schemaVersion).toBe(MIGRATIONS.length);
    const row = await s.history.findByRef('p', 'p', 77);
    expect(row?.content).toEqual(Uint8Array.of(1, 2));
    await s.edits.add({ messageId: row!.id, content: row!.content, editTimestamp: 78, replacedAt: 2 });
    await s.history.replaceContent(row!.id, Uint8Array.of(3));
    expect((await s.history.get(row!.id))?.content).toEqual(Uint8Array.of(3));
    expect(await s.edits.list(row!.id)).toHaveLength(1);
    await s.close();
  });

  it('leaves no byte of a replaced plaintext or a removed version in the database file or its WAL', async () => {
    const path = join(dir, 'scrub.db');
    const s = new SqliteStore(path);
    const secret = 'the-secret-lunch-place-'.repeat(8);
    const older = 'an-older-version-of-it-'.repeat(8);
    const enc = (t: string) => new TextEncoder().encode(t);
    const id = await s.history.add({ direction: 'in', peer: 'p', sender: { account: 'p', device: 1 }, timestamp: 1, content: enc(secret), envelopeId: 'e', storedAt: 1 });
    await s.edits.add({ messageId: id, content: enc(older), editTimestamp: 2, replacedAt: 2 });
    const onDisk = () => Buffer.concat([readFileSync(path), existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0)]).toString('latin1');
    expect(onDisk()).toContain(secret);
    await s.transaction(async (tx) => {
      await tx.history.replaceContent(id, enc('tombstone'));
      await tx.edits.removeAll(id);
    });
    const after = onDisk();
    expect(after).not.toContain(secret.slice(0, 23));
    expect(after).not.toContain(older.slice(0, 23));
    expect(new TextDecoder().decode((await s.history.get(id))!.content)).toBe('tombstone');
    await s.close();
  });
});
