/** The edits contract on the memory, SQLite and key/value stores; SQLite: migration slot C and the overwrite of replaced plaintext on disk. */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
