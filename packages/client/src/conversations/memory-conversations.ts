/**
 * The `conversations` role of `MemoryStore`: everything answered by a scan
 * of the in-memory history (no index to keep; 10,000 messages scan in about
 * a millisecond, see docs/conversations.md). Search matches as the other
 * stores do (`search-text.ts`).
 */
import type { StoredMessage } from '../store/types.ts';
import { queryWords, scoreText, searchTextOf } from './search-text.ts';
import type { ConversationStore, ConversationSummary, SearchHit, SearchOptions } from './store-types.ts';

const copyRow = (m: StoredMessage): StoredMessage => ({ ...m, content: m.content.slice() });

/** Decoded texts by row object (a changed row is a new object, so an entry never goes stale). */
const texts = new WeakMap<StoredMessage, string | null>();
function textOf(m: StoredMessage): string | undefined {
  let t = texts.get(m);
  if (t === undefined) texts.set(m, (t = searchTextOf(m.content) ?? null));
  return t ?? undefined;
}

export class MemoryConversations implements ConversationStore {
  constructor(private readonly t: { readonly messages: ReadonlyMap<number, StoredMessage> }) {}

  async list(limit = Number.MAX_SAFE_INTEGER) {
    const by = new Map<string, { last: StoredMessage; unread: number }>();
    for (const m of this.t.messages.values()) {
      const s = by.get(m.peer) ?? { last: m, unread: 0 };
      if (m.id >= s.last.id) s.last = m;
      if (m.direction === 'in' && m.readAt === undefined) s.unread++;
      by.set(m.peer, s);
    }
    return [...by.entries()]
      .sort((a, b) => b[1].last.id - a[1].last.id)
      .slice(0, limit)
      .map(([peer, s]): ConversationSummary => ({ peer, lastMessage: copyRow(s.last), unread: s.unread, lastActivity: s.last.storedAt }));
  }

  async get(peer: string) {
    return (await this.list()).find((s) => s.peer === peer);
  }

  async page(peer: string, beforeId: number, limit: number) {
    const rows = [...this.t.messages.values()].filter((m) => m.peer === peer && m.id < beforeId).sort((a, b) => b.id - a.id);
    return rows.slice(0, limit).map(copyRow);
  }

  async search(query: string, options: SearchOptions) {
    const words = queryWords(query);
    if (words.length === 0) return [];
    const hits: SearchHit[] = [];
    for (const m of this.t.messages.values()) {
      if (options.peer !== undefined && m.peer !== options.peer) continue;
      const text = textOf(m);
      const scored = text === undefined ? undefined : scoreText(text, words);
      if (scored !== undefined) hits.push({ message: copyRow(m), ...scored });
    }
    return hits.sort((a, b) => a.rank - b.rank || b.message.id - a.message.id).slice(0, options.limit);
  }

  async compact() {
    // Nothing kept beside the rows.
  }

  async locate(author: string, timestamp: number) {
    return [...this.t.messages.values()].filter((m) => m.sender.account === author && m.timestamp === timestamp).sort((a, b) => a.id - b.id).map(copyRow);
  }
}
