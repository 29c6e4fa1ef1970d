/**
 * The conversations part beside the shared contract: the ReadSync content,
 * the SQLite migration filling summaries and the FTS5 index from an existing
 * history, FTS5 in the encrypted (SQLCipher-format) store, the API's typed
 * errors, and the read listener's batching (split at 500).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from '@sealpost/protocol/primitives';
import { decodeContent, encodeContent } from '../../src/content.ts';
import { Conversations } from '../../src/conversations/conversations.ts';
import { readReceiptListener } from '../../src/conversations/read-receipts.ts';
import { MAX_READ_SYNC_REFS } from '../../src/conversations/read-sync-codec.ts';
import { CONVERSATIONS_MIGRATION } from '../../src/conversations/sqlite-schema.ts';
import { ReadState } from '../../src/read-state.ts';
import { SqliteStore } from '../../src/sqlite.ts';
import { BASE64_DECODE_FUNCTION, MIGRATIONS } from '../../src/store/migrations.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import { MemoryKvBackend } from '../../src/store/kv/backend.ts';
import { kvConversationRemoved, kvIndexText } from '../../src/store/kv/conversation-roles.ts';
import { KvTransaction } from '../../src/store/kv/overlay.ts';
import { KvStore } from '../../src/store/kv/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-conv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ref = (i: number) => ({ author: 'acct-a', timestamp: 1_000 + i });

describe('conversations: read sync content', () => {
  it('round-trips and refuses empty or oversized batches with INVALID_DATA', () => {
    const read = [ref(1), { ...ref(2), messageId: 'm2' }];
    expect(decodeContent(encodeContent({ timestamp: 5, readSync: { read } }))).toEqual({ version: 1, timestamp: 5, readSync: { read } });
    expect(() => encodeContent({ timestamp: 5, readSync: { read: [] } })).toThrow(expect.objectContaining({ code: 'INVALID_DATA' }));
    const many = Array.from({ length: MAX_READ_SYNC_REFS + 1 }, (_, i) => ref(i));
    expect(() => encodeContent({ timestamp: 5, readSync: { read: many } })).toThrow(/at most 500/);
  });
});

describe('conversations: SQLite', () => {
  it('the migration fills summaries and the search index from the history already stored', async () => {
    const path = join(dir, 'upgrade.db');
    const at = MIGRATIONS.indexOf(CONVERSATIONS_MIGRATION);
    expect(at).toBeGreaterThan(0);
    const old = new Database(path);
    old.function(BASE64_DECODE_FUNCTION, (t: unknown) => Buffer.from(String(t), 'base64'));
    for (let v = 0; v < at; v++) old.exec(MIGRATIONS[v]!);
    old.pragma(`user_version = ${at}`);
    const insert = old.prepare('INSERT INTO messages (direction, peer, sender_account, sender_device, timestamp, content, stored_at, read_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)');
    insert.run('in', 'acct-b', 'acct-b', 1, encodeContent({ timestamp: 1, text: 'old zebra crossing' }), 10, null);
    insert.run('in', 'acct-b', 'acct-b', 2, encodeContent({ timestamp: 2, text: 'read already' }), 20, 25);
    insert.run('out', 'acct-c', 'acct-me', 3, encodeContent({ timestamp: 3, text: 'to carol' }), 30, null);
    old.close();
    const s = new SqliteStore(path);
    expect(s.schemaVersion).toBe(MIGRATIONS.length);
    expect((await s.conversations.list()).map((c) => [c.peer, c.unread, c.lastActivity])).toEqual([['acct-c', 0, 30], ['acct-b', 1, 20]]);
    expect((await s.conversations.search('zebra', { limit: 5 })).map((h) => h.snippet)).toEqual(['old [zebra] crossing']);
    await s.close();
  });

  it('deleting and rewriting rows keeps the summary and the index (whoever writes them)', async () => {
    const s = new SqliteStore(join(dir, 'triggers.db'));
    const add = (ts: number, text: string) => s.history.add({ direction: 'in', peer: 'acct-b', sender: { account: 'acct-b', device: 1 }, timestamp: ts, content: encodeContent({ timestamp: ts, text }), envelopeId: `t${ts}`, storedAt: ts });
    const one = await add(1, 'first words');
    const two = await add(2, 'second words');
    s.db.prepare('UPDATE messages SET content = ? WHERE id = ?').run(encodeContent({ timestamp: 1, text: 'edited text' }), one);
    expect((await s.conversations.search('first', { limit: 5 }))).toEqual([]);
    expect((await s.conversations.search('edited', { limit: 5 })).map((h) => h.message.id)).toEqual([one]);
    s.db.prepare('DELETE FROM messages WHERE id = ?').run(two);
    expect(await s.conversations.search('second', { limit: 5 })).toEqual([]);
    expect(await s.conversations.get('acct-b')).toMatchObject({ unread: 1, lastMessage: { id: one }, lastActivity: 1 });
    s.db.prepare('DELETE FROM messages WHERE id = ?').run(one);
    expect(await s.conversations.list()).toEqual([]);
    await s.close();
  });

  it('after a deletion, compact() leaves none of the deleted text in the file (with secure_delete)', async () => {
    const path = join(dir, 'compact.db');
    const s = new SqliteStore(path);
    s.db.pragma('secure_delete = ON');
    for (let i = 0; i < 50; i++) {
      await s.history.add({ direction: 'in', peer: 'acct-b', sender: { account: 'acct-b', device: 1 }, timestamp: i, content: encodeContent({ timestamp: i, text: `ordinary words ${i}${i === 7 ? ' quuxsecret' : ''}` }), envelopeId: `c${i}`, storedAt: i });
    }
    const secret = (await s.conversations.search('quuxsecret', { limit: 5 }))[0]!.message;
    s.db.prepare('DELETE FROM messages WHERE id = ?').run(secret.id);
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(path).includes(Buffer.from('quuxsecret'))).toBe(true); // FTS5 segments still hold the term
    await s.transaction((tx) => tx.conversations.compact());
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(path).includes(Buffer.from('quuxsecret'))).toBe(false);
    expect(await s.conversations.search('ordinary', { limit: 100 })).toHaveLength(49);
    await s.close();
  });

  it('full-text search works in the encrypted store, and the indexed text is not on disk in the clear', async () => {
    const path = join(dir, 'encrypted.db');
    const s = new SqliteStore(path, { encryptionKey: randomBytes(32) });
    await s.history.add({ direction: 'in', peer: 'acct-b', sender: { account: 'acct-b', device: 1 }, timestamp: 1, content: encodeContent({ timestamp: 1, text: 'xylophone lessons' }), envelopeId: 'e1', storedAt: 1 });
    expect((await s.conversations.search('xylo', { limit: 5 })).map((h) => h.snippet)).toEqual(['[xylophone] lessons']);
    await s.close();
    expect(readFileSync(path).includes(Buffer.from('xylophone'))).toBe(false);
  });
});

describe('conversations: API and read listener', () => {
  it('refuses bad limits, cursors and queries with INVALID_DATA', async () => {
    const store = new MemoryStore();
    const c = new Conversations({ store, markRead: async (peer) => ({ peer, messages: [], now: 0 }), readReceiptsDefault: true });
    for (const p of [c.history('x', { limit: 0 }), c.history('x', { limit: 1001 }), c.history('x', { before: '-1' }), c.history('x', { before: '1e3' }), c.search('x'.repeat(1001)), c.list({ limit: 1.5 })]) {
      await expect(p).rejects.toMatchObject({ code: 'INVALID_DATA' });
    }
    expect(await c.history('x')).toEqual({ messages: [] });
    await expect(c.setReadReceipts('no' as unknown as boolean)).rejects.toMatchObject({ code: 'INVALID_DATA' });
  });

  it('sends one read receipt per author, split at 500, and one read sync to own devices; nothing for a synced read', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 501; i++) {
      await store.history.add({ direction: 'in', peer: 'acct-b', sender: { account: 'acct-b', device: 1 }, timestamp: i + 1, content: encodeContent({ timestamp: i + 1, text: `m${i}` }), envelopeId: `b${i}`, storedAt: i });
    }
    await store.history.add({ direction: 'in', peer: 'acct-c', sender: { account: 'acct-c', device: 1 }, timestamp: 9, content: encodeContent({ timestamp: 9, text: 'c', messageId: 'mid' }), envelopeId: 'c', storedAt: 9 });
    const sent: [string, ReturnType<typeof decodeContent>][] = [];
    const errors: unknown[] = [];
    const state = new ReadState({ store, now: () => 77, onError: (e) => errors.push(e) });
    state.listen(readReceiptListener({ ownAccount: () => 'acct-me', now: () => 77, sendContent: async (a, p) => void sent.push([a, decodeContent(p)]), defaultEnabled: true, onError: (e) => errors.push(e) }));
    await state.markRead('acct-b');
    expect(sent.map(([a, c]) => [a, c.receipt?.targets.length, c.readSync?.read.length])).toEqual([
      ['acct-b', 500, undefined],
      ['acct-b', 1, undefined],
      ['acct-me', undefined, 500],
      ['acct-me', undefined, 1],
    ]);
    sent.length = 0;
    await store.settings.set('conversations.readReceipts', 'off');
    await state.markRead('acct-c');
    expect(sent).toEqual([['acct-me', { version: 1, timestamp: 77, readSync: { read: [{ author: 'acct-c', timestamp: 9, messageId: 'mid' }] } }]]);
    // A synced marking (origin 'sync') sends nothing.
    sent.length = 0;
    await store.history.add({ direction: 'in', peer: 'acct-c', sender: { account: 'acct-c', device: 1 }, timestamp: 10, content: encodeContent({ timestamp: 10, text: 'c2' }), envelopeId: 'c2', storedAt: 10 });
    await store.settings.set('conversations.readReceipts', 'on');
    const synced = await store.transaction(async (tx) => state.markReadIn(tx, 'acct-c', Number.MAX_SAFE_INTEGER, 78, 'sync'));
    await state.runAfter(synced.after);
    expect(synced.read.messages).toHaveLength(1);
    expect(sent).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('conversations: KvStore hooks for other roles', () => {
  it('a removed row leaves the summary and the index; rewritten content is found by its new text', async () => {
    const backend = new MemoryKvBackend();
    const store = new KvStore(backend);
    const add = (ts: number, text: string) => store.history.add({ direction: 'in', peer: 'acct-b', sender: { account: 'acct-b', device: 1 }, timestamp: ts, content: encodeContent({ timestamp: ts, text }), envelopeId: `k${ts}`, storedAt: ts });
    const one = await add(1, 'alpha words');
    const two = await add(2, 'bravo words');
    // What a removing role does: delete the row and its keys, then call the hook — one commit.
    const removed = (await store.history.get(two))!;
    const tx = new KvTransaction(backend);
    tx.delete(['message', two]);
    tx.delete(['byPeer', 'acct-b', two]);
    tx.delete(['unread', 'acct-b', two]);
    await kvConversationRemoved(tx, removed);
    const rewritten = encodeContent({ timestamp: 1, text: 'charlie' });
    tx.put(['message', one], { ...(await store.history.get(one))!, content: rewritten });
    await kvIndexText(tx, one, rewritten);
    await backend.commit(tx.writes());
    expect(await store.conversations.get('acct-b')).toMatchObject({ unread: 1, lastMessage: { id: one }, lastActivity: 1 });
    expect(await store.conversations.search('bravo', { limit: 5 })).toEqual([]);
    expect(await store.conversations.search('alpha', { limit: 5 })).toEqual([]);
    expect((await store.conversations.search('charl', { limit: 5 })).map((h) => h.message.id)).toEqual([one]);
    expect(await store.conversations.locate('acct-b', 2)).toEqual([]);
    expect((await backend.scanKeys(['searchToken'])).length).toBe(new Set(['w', 'wo', 'wor', 'word', 'words', 'c', 'ch', 'cha', 'char', 'charl', 'charli', 'charlie']).size + 5); // alpha's stale tokens stay harmlessly; bravo's are gone
    expect(JSON.stringify(await backend.scanKeys(['searchToken']))).not.toMatch(/bravo|alpha|charlie/);
  });
});
