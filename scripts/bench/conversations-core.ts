/**
 * The measurements of scripts/bench/conversations.ts (Node) and
 * conversations-browser.ts (Chromium, IndexedDB): N stored messages in 100
 * conversations, texts of 6–20 words from a 2,000-word vocabulary, one
 * message in ten with the "rare" word; medians of 7 runs.
 */
import { encodeContent } from '../../packages/client/src/content.ts';
import type { ClientStore } from '../../packages/client/src/store/types.ts';

export const CONVERSATIONS = 100;
const ROUNDS = 7;

/** One row of the table. */
export interface ConversationFigures {
  add: number;
  list: number;
  rare: number;
  prefix: number;
  one: number;
  common: string;
}

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'do', 'gu'];
const vocabulary = Array.from({ length: 2000 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => syllables[Math.floor(rand() * syllables.length)]).join(''));
const textsFor = (N: number) => {
  seed = 7; // the same texts in every store
  return Array.from({ length: N }, (_, i) => {
  const words = Array.from({ length: 6 + Math.floor(rand() * 15) }, () => vocabulary[Math.floor(rand() * vocabulary.length)]!);
  if (i % 10 === 0) words.push('xylophone');
  return words.join(' ');
  });
};

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

async function fill(store: ClientStore, N: number): Promise<number> {
  const texts = textsFor(N);
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

/** Fills `store` with `n` messages and measures it. */
export async function measureConversations(store: ClientStore, n: number): Promise<ConversationFigures> {
  const add = await fill(store, n);
  const list = await time(() => store.conversations.list());
  if ((await store.conversations.list()).length !== CONVERSATIONS) throw new Error('list is wrong');
  const rare = await time(() => store.conversations.search('xylophone', { limit: 20 }));
  if ((await store.conversations.search('xylophone', { limit: 1000 })).length !== n / 10) throw new Error('rare search is wrong');
  const common = vocabulary[0]!.slice(0, 3);
  const prefix = await time(() => store.conversations.search(common, { limit: 20 }));
  const one = await time(() => store.conversations.search(common, { limit: 20, peer: 'acct-7' }));
  return { add, list, rare, prefix, one, common };
}

const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : 1)} ms`;

/** A Markdown table row. */
export function figuresRow(name: string, f: ConversationFigures): string {
  return `| ${name} | ${ms(f.add)} | ${ms(f.list)} | ${ms(f.rare)} | ${ms(f.prefix)} (prefix "${f.common}") | ${ms(f.one)} |`;
}

/** The table header. */
export function figuresHeader(n: number): string {
  return `| store (${n} messages, ${CONVERSATIONS} conversations) | add, per message | list() | search rare word | search common prefix, limit 20 | search in one conversation |\n|---|---|---|---|---|---|`;
}
