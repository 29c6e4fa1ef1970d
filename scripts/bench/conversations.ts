/**
 * `npx tsx scripts/bench/conversations.ts [messages=10000]`: the
 * conversations store role with N stored messages (100 conversations,
 * texts of 6–20 words from a 2,000-word vocabulary, one word in 1,000
 * messages planted as "rare"), on the three stores: memory (scans), SQLite
 * in a file (summaries by trigger, FTS5) and the browser store's KvStore
 * layer over its in-memory engine (summaries, word-prefix index; IndexedDB
 * under it in a browser adds its per-read cost). Prints Markdown: the cost
 * of adding a message (with its summary and index), `list()` (all 100
 * conversations with their last message), a search for a rare word, for a
 * common prefix (limit 20) and in one conversation. Medians of 7 runs.
 * Not a test: docs/conversations.md records a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeContent, MemoryStore, type ClientStore } from '@sealpost/client';
import { KvStore } from '@sealpost/client/browser';
import { SqliteStore } from '@sealpost/client/sqlite';
import { MemoryKvBackend } from '../../packages/client/src/store/kv/backend.ts';

const N = Number(process.argv[2] ?? 10_000);
const CONVERSATIONS = 100;
const ROUNDS = 7;

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'do', 'gu'];
const vocabulary = Array.from({ length: 2000 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => syllables[Math.floor(rand() * syllables.length)]).join(''));
const texts = Array.from({ length: N }, (_, i) => {
  const words = Array.from({ length: 6 + Math.floor(rand() * 15) }, () => vocabulary[Math.floor(rand() * vocabulary.length)]!);
  if (i % (N / 1000) === 0) words.push('xylophone');
  return words.join(' ');
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

async function fill(store: ClientStore): Promise<number> {
  const t = performance.now();
  for (let start = 0; start < N; start += 100) {
    await store.transaction(async (tx) => {
      for (let i = start; i < Math.min(N, start + 100); i++) {
        const peer = `acct-${i % CONVERSATIONS}`;
        await tx.history.add({ direction: i % 3 === 0 ? 'out' : 'in', peer, sender: { account: i % 3 === 0 ? 'acct-me' : peer, device: 1 }, timestamp: i + 1, content: encodeContent({ timestamp: i + 1, text: texts[i]! }), envelopeId: `e${i}`, storedAt: i + 1 });
      }
    });
  }
  return (performance.now() - t) / N;
}

const dir = mkdtempSync(join(tmpdir(), 'sealpost-conv-bench-'));
const stores: [string, () => ClientStore][] = [
  ['memory (scan)', () => new MemoryStore()],
  ['SQLite file (triggers + FTS5)', () => new SqliteStore(join(dir, 'bench.db'))],
  ['KvStore, in-memory engine (token index)', () => new KvStore(new MemoryKvBackend())],
];
console.log(`| store (${N} messages, ${CONVERSATIONS} conversations) | add, per message | list() | search rare word | search common prefix, limit 20 | search in one conversation |`);
console.log('|---|---|---|---|---|---|');
const common = vocabulary[0]!.slice(0, 3);
for (const [name, open] of stores) {
  const store = open();
  const add = await fill(store);
  const list = await time(() => store.conversations.list());
  if ((await store.conversations.list()).length !== CONVERSATIONS) throw new Error('list is wrong');
  const rare = await time(() => store.conversations.search('xylophone', { limit: 20 }));
  if ((await store.conversations.search('xylophone', { limit: 2000 })).length !== 1000) throw new Error('rare search is wrong');
  const prefix = await time(() => store.conversations.search(common, { limit: 20 }));
  const one = await time(() => store.conversations.search(common, { limit: 20, peer: 'acct-7' }));
  const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : 1)} ms`;
  console.log(`| ${name} | ${ms(add)} | ${ms(list)} | ${ms(rare)} | ${ms(prefix)} (prefix "${common}") | ${ms(one)} |`);
  await store.close();
}
rmSync(dir, { recursive: true, force: true });
