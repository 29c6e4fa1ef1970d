/**
 * `npx tsx scripts/bench/conversations.ts [messages=10000]`: the
 * conversations store role with N stored messages (see conversations-core.ts)
 * on memory (scans), SQLite in a file (summaries by trigger, FTS5) and the
 * browser store's KvStore layer over its in-memory engine (IndexedDB in
 * Chromium: conversations-browser.ts). Prints Markdown: the cost of adding a
 * message (with its summary and index), `list()` (all 100 conversations with
 * their last message), a search for a rare word, for a common prefix (limit
 * 20) and in one conversation. Not a test: docs/conversations.md records a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, type ClientStore } from '@sealpost/client';
import { KvStore } from '@sealpost/client/browser';
import { SqliteStore } from '@sealpost/client/sqlite';
import { MemoryKvBackend } from '../../packages/client/src/store/kv/backend.ts';
import { figuresHeader, figuresRow, measureConversations } from './conversations-core.ts';

const N = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'sealpost-conv-bench-'));
const stores: [string, () => ClientStore][] = [
  ['memory (scan)', () => new MemoryStore()],
  ['SQLite file (triggers + FTS5)', () => new SqliteStore(join(dir, 'bench.db'))],
  ['KvStore, in-memory engine (token index)', () => new KvStore(new MemoryKvBackend())],
];
console.log(figuresHeader(N));
for (const [name, open] of stores) {
  const store = open();
  console.log(figuresRow(name, await measureConversations(store, N)));
  await store.close();
}
rmSync(dir, { recursive: true, force: true });
