/**
 * What full-text search indexes and how words are compared, shared by the
 * three stores: the text of a chat message (decoded from its `Content`;
 * nothing for reactions, receipts or other non-text content), normalized
 * as FTS5's `unicode61 remove_diacritics 2` tokenizer does it closely
 * enough: NFKD, combining marks removed, lower case, split at anything
 * that is not a letter or a digit.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { ContentSchema } from '../gen/content_pb.ts';

/** The searchable text of a stored `Content`, or undefined (no text, or not decodable). */
export function searchTextOf(content: Uint8Array): string | undefined {
  try {
    const text = fromBinary(ContentSchema, content).text;
    return text.length > 0 ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Lower case, without diacritics. */
export function normalizeWord(word: string): string {
  return word.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** The normalized words of `text`, in order (repeats kept). */
export function wordsOf(text: string): string[] {
  return normalizeWord(text).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

/** The distinct normalized query words (each matched as a word prefix). */
export function queryWords(query: string): string[] {
  return [...new Set(wordsOf(query))];
}

/** Words of context on each side of the first match in a snippet. */
const SNIPPET_CONTEXT = 5;

/**
 * Scores `text` against `words` (every word must prefix-match some word of
 * the text, else undefined): a bm25-like term-frequency score over the text
 * length, negated so that lower is better as FTS5's bm25() is; and a snippet
 * of the words around the first match with matched words in brackets.
 */
export function scoreText(text: string, words: readonly string[]): { rank: number; snippet: string } | undefined {
  // Cheap refusal first: every query word must occur somewhere in the normalized text.
  const flat = normalizeWord(text);
  if (!words.every((q) => flat.includes(q))) return undefined;
  const raw = text.split(/(\s+)/u).filter((t) => t.length > 0 && !/^\s+$/u.test(t));
  const norm = raw.map((t) => wordsOf(t));
  const matches = (i: number) => norm[i]!.some((w) => words.some((q) => w.startsWith(q)));
  const docWords = norm.flat();
  let score = 0;
  for (const q of words) {
    const tf = docWords.filter((w) => w.startsWith(q)).length;
    if (tf === 0) return undefined;
    // bm25 with k1 = 1.2, b = 0.75 and an average length of 10 words (one document's view).
    score += (tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * docWords.length) / 10));
  }
  const first = raw.findIndex((_, i) => matches(i));
  const from = Math.max(0, first - SNIPPET_CONTEXT);
  const to = Math.min(raw.length, first + SNIPPET_CONTEXT + 1);
  const parts = raw.slice(from, to).map((t, k) => (matches(from + k) ? `[${t}]` : t));
  const snippet = (from > 0 ? '… ' : '') + parts.join(' ') + (to < raw.length ? ' …' : '');
  return { rank: -score, snippet };
}
