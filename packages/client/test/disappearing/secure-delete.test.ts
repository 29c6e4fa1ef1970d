/**
 * `history.remove` on the SQLite store leaves nothing readable: the row's
 * content is overwritten (`secure_delete`) and the WAL truncated after the
 * deleting transaction, for a plain and a SQLCipher (encrypted) file, and
 * for a removal inside and outside a transaction.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from '@sealpost/protocol/primitives';
import { SqliteStore } from '../../src/sqlite.ts';
import { encodeContent } from '../../src/content.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-secure-delete-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** The raw bytes of the database file and its WAL (what is on disk now). */
function rawFiles(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`, `${path}-journal`].filter(existsSync).map((f) => readFileSync(f)));
}

function fill(store: SqliteStore, marker: string, count: number) {
  return store.transaction(async (tx) => {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      // Long enough to spill into overflow pages for some rows.
      const text = `${marker}#${i} ${'x'.repeat(i % 3 === 0 ? 5000 : 40)}`;
      ids.push(await tx.history.add({ direction: 'in', peer: 'acct-b', sender: { account: 'acct-b', device: 1 }, timestamp: 1000 + i, content: encodeContent({ timestamp: 1000 + i, text }), envelopeId: `${marker}-${i}`, storedAt: i }));
    }
    return ids;
  });
}

describe.each([
  ['plain', undefined],
  ['encrypted (SQLCipher)', randomBytes(32)],
] as const)('SQLite secure delete, %s file', (_name, encryptionKey) => {
  it('turns secure_delete on for the connection', () => {
    const store = new SqliteStore(join(dir, `p${n++}.db`), encryptionKey === undefined ? {} : { encryptionKey });
    expect(store.db.pragma('secure_delete', { simple: true })).toBe(1);
    store.db.close();
  });

  it('after a removal the text is in neither the database file nor the WAL; the other rows stay readable', async () => {
    const path = join(dir, `r${n++}.db`);
    const store = new SqliteStore(path, encryptionKey === undefined ? {} : { encryptionKey });
    const gone = await fill(store, 'MARKER-GONE-9d1e', 30);
    await fill(store, 'MARKER-KEPT-41ab', 3);
    if (encryptionKey === undefined) expect(rawFiles(path).includes('MARKER-GONE-9d1e')).toBe(true);
    const started = performance.now();
    // Half inside a transaction (truncated after the commit), half as a single call.
    await store.transaction(async (tx) => expect(await tx.history.remove(gone.slice(0, 15))).toBe(15));
    expect(await store.history.remove(gone.slice(15))).toBe(15);
    const ms = performance.now() - started;
    expect(rawFiles(path).includes('MARKER-GONE-9d1e')).toBe(false);
    if (existsSync(`${path}-wal`)) expect(statSync(`${path}-wal`).size).toBe(0);
    expect((await store.history.conversation('acct-b')).length).toBe(3);
    if (encryptionKey === undefined) expect(rawFiles(path).includes('MARKER-KEPT-41ab')).toBe(true);
    // Two removals of 15 rows with a WAL truncation each (logged for the README's measurement).
    console.log(`secure delete ${_name}: removed 30 rows in 2 batches in ${ms.toFixed(1)} ms`);
    await store.close();
    // Reopened, the rest is intact.
    const reopened = new SqliteStore(path, encryptionKey === undefined ? {} : { encryptionKey });
    expect((await reopened.history.conversation('acct-b')).length).toBe(3);
    await reopened.close();
  });
});
