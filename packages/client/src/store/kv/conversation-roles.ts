/**
 * The `conversations` role of `KvStore` (issue 18). Layout, written by
 * `KvHistory.add` / `markRead` in the same transaction (the hooks below):
 * `conversation/peer` → { lastId, lastActivity, unread } (the summary),
 * `byAuthorTime/author/timestamp/id` (key-only: messages by reference) and
 * `searchToken/token/id` (key-only token index: for every normalized word
 * prefix, 1 to `MAX_INDEXED_PREFIX` characters, of a chat message's text,
 * token = HMAC-SHA256(search key, prefix) truncated to 16 bytes, hex). Record
 * KEYS are not encrypted at rest (IndexedDB ranges over them), so the words
 * never appear in one: the search key is a random 32-byte VALUE
 * (`searchKey`), sealed like every value when the store is encrypted.
 *
 * Search is less capable than SQLite's FTS5: it matches word prefixes only
 * (no phrases, no NEAR or boolean operators, no column filters); ranking is
 * a bm25-like score computed on the candidate rows' decoded text (not
 * corpus-wide document frequencies); a query word longer than
 * `MAX_INDEXED_PREFIX` characters is looked up by its first characters and
 * then checked against the decoded text; and every candidate row is read
 * and decoded, so a very common short prefix costs a scan of its ids.
 */
import type { NewMessage, StoredMessage } from '../types.ts';
import type { ConversationStore, ConversationSummary, SearchHit, SearchOptions } from '../../conversations/store-types.ts';
import { queryWords, scoreText, searchTextOf, wordsOf } from '../../conversations/search-text.ts';
import type { KvTransaction } from './overlay.ts';
import { hmacSha256, randomBytes, toHex } from '@sealpost/protocol/primitives';

/** Longest word prefix in the token index. */
export const MAX_INDEXED_PREFIX = 12;

interface Summary {
  lastId: number;
  lastActivity: number;
  unread: number;
}

/** Inside `KvHistory.add`: the summary, the reference index and the token index of the new row. */
export async function kvConversationAdded(tx: KvTransaction, id: number, m: NewMessage): Promise<void> {
  const old = await tx.get<Summary>(['conversation', m.peer]);
  const unread = m.direction === 'in' && m.readAt === undefined ? 1 : 0;
  tx.put(['conversation', m.peer], { lastId: id, lastActivity: m.storedAt, unread: (old?.unread ?? 0) + unread });
  tx.put(['byAuthorTime', m.sender.account, m.timestamp, id], true);
  await kvIndexText(tx, id, m.content);
}

const utf8 = new TextEncoder();

/** The store's search key (created with the first indexed message); undefined before, when `create` is false. */
async function searchKey(tx: KvTransaction, create: boolean): Promise<Uint8Array | undefined> {
  let key = await tx.get<Uint8Array>(['searchKey']);
  if (key === undefined && create) tx.put(['searchKey'], (key = randomBytes(32)));
  return key;
}

/** The index token of a normalized word prefix. */
const tokenOf = (key: Uint8Array, prefix: string): string => toHex(hmacSha256(key, utf8.encode(prefix)).subarray(0, 16));

async function tokensOf(tx: KvTransaction, content: Uint8Array): Promise<string[]> {
  const prefixes = new Set<string>();
  const text = searchTextOf(content);
  if (text !== undefined) for (const w of wordsOf(text)) for (let n = 1; n <= Math.min(w.length, MAX_INDEXED_PREFIX); n++) prefixes.add(w.slice(0, n));
  if (prefixes.size === 0) return [];
  const key = (await searchKey(tx, true))!;
  return [...prefixes].map((p) => tokenOf(key, p));
}

/**
 * Indexes the text of `content` for row `id` (for a role that rewrites a row's
 * content: call it with the new content; entries of the old text that remain
 * only add candidates, which search checks against the row's current text).
 */
export async function kvIndexText(tx: KvTransaction, id: number, content: Uint8Array): Promise<void> {
  for (const t of await tokensOf(tx, content)) tx.put(['searchToken', t, id], true);
}

/** For a row whose content is rewritten (edit / delete for everyone): drops the old text's entries, indexes the new. */
export async function kvReindexText(tx: KvTransaction, id: number, before: Uint8Array, after: Uint8Array): Promise<void> {
  const keep = new Set(await tokensOf(tx, after));
  for (const t of await tokensOf(tx, before)) if (!keep.has(t)) tx.delete(['searchToken', t, id]);
  for (const t of keep) tx.put(['searchToken', t, id], true);
}

/**
 * For a role that deletes history rows (e.g. disappearing messages): call it in
 * the same transaction AFTER the row and its `byPeer` key were deleted, with
 * the row as it was. Drops its index entries and corrects the summary.
 */
export async function kvConversationRemoved(tx: KvTransaction, m: StoredMessage): Promise<void> {
  tx.delete(['byAuthorTime', m.sender.account, m.timestamp, m.id]);
  for (const t of await tokensOf(tx, m.content)) tx.delete(['searchToken', t, m.id]);
  const s = await tx.get<Summary>(['conversation', m.peer]);
  if (s === undefined) return;
  const ids = (await tx.scanKeys(['byPeer', m.peer])).map((k) => Number(k[2]));
  const newest = ids.length === 0 ? undefined : await tx.get<StoredMessage>(['message', ids[ids.length - 1]!]);
  if (newest === undefined) return tx.delete(['conversation', m.peer]);
  const unread = s.unread - (m.direction === 'in' && m.readAt === undefined ? 1 : 0);
  tx.put(['conversation', m.peer], { lastId: newest.id, lastActivity: newest.id === s.lastId ? s.lastActivity : newest.storedAt, unread: Math.max(0, unread) });
}

/** Inside `KvHistory.markRead`: the conversation's unread count drops by what was marked. */
export async function kvConversationRead(tx: KvTransaction, peer: string, marked: number): Promise<void> {
  if (marked === 0) return;
  const s = await tx.get<Summary>(['conversation', peer]);
  if (s !== undefined) tx.put(['conversation', peer], { ...s, unread: Math.max(0, s.unread - marked) });
}

export class KvConversations implements ConversationStore {
  constructor(private readonly tx: KvTransaction) {}

  async list(limit = Number.MAX_SAFE_INTEGER) {
    const entries = (await this.tx.scan<Summary>(['conversation'])).sort((a, b) => b[1].lastId - a[1].lastId).slice(0, limit);
    const rows = await this.tx.getMany<StoredMessage>(entries.map(([, s]) => ['message', s.lastId] as const));
    const out: ConversationSummary[] = [];
    for (let i = 0; i < entries.length; i++) {
      const peer = String(entries[i]![0][1]);
      const s = entries[i]![1];
      const last = rows[i] ?? (await this.#newest(peer));
      if (last !== undefined) out.push({ peer, lastMessage: last, unread: s.unread, lastActivity: rows[i] === undefined ? last.storedAt : s.lastActivity });
    }
    return out;
  }

  async get(peer: string) {
    const s = await this.tx.get<Summary>(['conversation', peer]);
    if (s === undefined) return undefined;
    const last = (await this.tx.get<StoredMessage>(['message', s.lastId])) ?? (await this.#newest(peer));
    return last === undefined ? undefined : { peer, lastMessage: last, unread: s.unread, lastActivity: last.id === s.lastId ? s.lastActivity : last.storedAt };
  }

  async page(peer: string, beforeId: number, limit: number) {
    const ids = (await this.tx.scanKeys(['byPeer', peer])).map((k) => Number(k[2])).filter((id) => id < beforeId);
    return this.#rows(ids.slice(Math.max(0, ids.length - limit)).reverse());
  }

  async search(query: string, options: SearchOptions) {
    const words = queryWords(query);
    if (words.length === 0) return [];
    const key = await searchKey(this.tx, false);
    if (key === undefined) return [];
    let candidates: Set<number> | undefined;
    for (const w of words) {
      const ids = new Set((await this.tx.scanKeys(['searchToken', tokenOf(key, w.slice(0, MAX_INDEXED_PREFIX))])).map((k) => Number(k[2])));
      candidates = candidates === undefined ? ids : new Set([...candidates].filter((id) => ids.has(id)));
      if (candidates.size === 0) return [];
    }
    const hits: SearchHit[] = [];
    for (const m of await this.#rows([...candidates!])) {
      if (options.peer !== undefined && m.peer !== options.peer) continue;
      const text = searchTextOf(m.content);
      const scored = text === undefined ? undefined : scoreText(text, words);
      if (scored !== undefined) hits.push({ message: m, ...scored });
    }
    return hits.sort((a, b) => a.rank - b.rank || b.message.id - a.message.id).slice(0, options.limit);
  }

  async compact() {
    // Index keys go with their row (kvConversationRemoved).
  }

  async locate(author: string, timestamp: number) {
    return this.#rows((await this.tx.scanKeys(['byAuthorTime', author, timestamp])).map((k) => Number(k[3])));
  }

  /** The newest row of `peer` (when the summary's row was removed by another role). */
  async #newest(peer: string): Promise<StoredMessage | undefined> {
    const ids = (await this.tx.scanKeys(['byPeer', peer])).map((k) => Number(k[2]));
    for (let i = ids.length - 1; i >= 0; i--) {
      const m = await this.tx.get<StoredMessage>(['message', ids[i]!]);
      if (m !== undefined) return m;
    }
    return undefined;
  }

  async #rows(ids: number[]): Promise<StoredMessage[]> {
    const rows = await this.tx.getMany<StoredMessage>(ids.map((id) => ['message', id] as const));
    return rows.filter((m): m is StoredMessage => m !== undefined);
  }
}
