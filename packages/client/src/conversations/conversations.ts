/**
 * `client.conversations`: the conversation list (last message, unread
 * count, last activity; newest first), history pages with a stable cursor,
 * local full-text search, marking read (delegates to `client.markRead`) and
 * the read-receipt switch. The summaries and the search index are kept by
 * the store (`ConversationStore`) in the same transaction as each message
 * insert and read marking; nothing here scans the history.
 */
import { decodeContent, type MessageContent } from '../content.ts';
import { ClientError } from '../errors.ts';
import { groupOfPeer } from '../groups/types.ts';
import type { MessagesRead } from '../read-state.ts';
import type { ClientStore, StoredMessage } from '../store/types.ts';
import { READ_RECEIPTS_SETTING, readReceiptsEnabled } from './read-receipts.ts';

/** A stored message with its content decoded (as `client.history` returns them). */
export type ConversationMessage = StoredMessage & { decoded: MessageContent };

/** One entry of `conversations.list()`. */
export interface Conversation {
  /** The peer account, or `group:<hex id>` for a group. */
  peer: string;
  /** The group id (hex) for a group conversation. */
  group?: string;
  /** The newest message, sent or received. */
  lastMessage: ConversationMessage;
  /** Received messages not marked read. */
  unread: number;
  /** When the newest message was stored here, ms. */
  lastActivity: number;
}

/** One page of `conversations.history()`. */
export interface HistoryPage {
  /** NEWEST FIRST. */
  messages: ConversationMessage[];
  /** Pass as `before` for the next (older) page; undefined on the last page. Stable while new messages arrive. */
  next?: string;
}

/** One hit of `conversations.search()`. */
export interface SearchResult {
  message: ConversationMessage;
  /** The text around the match, matched words in `[` `]`. */
  snippet: string;
  /** Lower is better. */
  rank: number;
}

/** Largest page / search result size. */
export const MAX_PAGE = 1000;
/** Longest search query, characters. */
export const MAX_QUERY_LENGTH = 1000;

const decoded = (m: StoredMessage): ConversationMessage => ({ ...m, decoded: decodeContent(m.content) });

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new ClientError('INVALID_DATA', `limit must be an integer from 1 to ${MAX_PAGE}, got ${limit}`);
  return limit;
}

function cursorId(cursor: string | undefined): number {
  if (cursor === undefined) return Number.MAX_SAFE_INTEGER;
  if (typeof cursor !== 'string' || !/^[1-9][0-9]{0,15}$/.test(cursor) || !Number.isSafeInteger(Number(cursor))) throw new ClientError('INVALID_DATA', 'not a history cursor');
  return Number(cursor);
}

/** What `Conversations` works with. */
export interface ConversationsDeps {
  store: ClientStore;
  /** `SealpostClient.markRead`. */
  markRead: (peer: string, upToId?: number) => Promise<MessagesRead>;
  /** The `readReceipts` client option (default true). */
  readReceiptsDefault: boolean;
}

/** The conversations API (`client.conversations`). */
export class Conversations {
  constructor(private readonly d: ConversationsDeps) {}

  /** Every conversation (1:1 and groups) with its last message (decoded), unread count and last activity, newest first. */
  async list(options: { limit?: number } = {}): Promise<Conversation[]> {
    const rows = await this.d.store.conversations.list(options.limit === undefined ? undefined : checkLimit(options.limit));
    return rows.map((c) => {
      const out: Conversation = { peer: c.peer, lastMessage: decoded(c.lastMessage), unread: c.unread, lastActivity: c.lastActivity };
      const group = groupOfPeer(c.peer);
      if (group !== undefined) out.group = group;
      return out;
    });
  }

  /** Unread received messages of one conversation (0 when it has none). */
  async unread(peer: string): Promise<number> {
    return (await this.d.store.conversations.get(peer))?.unread ?? 0;
  }

  /**
   * One page of a conversation's history, NEWEST FIRST: the `limit` (default
   * 50) messages older than the cursor `before` (default: from the newest).
   * A bad cursor or limit throws `INVALID_DATA`.
   */
  async history(peer: string, options: { before?: string; limit?: number } = {}): Promise<HistoryPage> {
    const limit = checkLimit(options.limit ?? 50);
    const rows = await this.d.store.conversations.page(peer, cursorId(options.before), limit + 1);
    const page: HistoryPage = { messages: rows.slice(0, limit).map(decoded) };
    if (rows.length > limit) page.next = String(rows[limit - 1]!.id);
    return page;
  }

  /**
   * Messages whose text contains every word of `query` (as word prefixes,
   * any case and accent), best first, each with a snippet; `peer` limits it
   * to one conversation. SQLite: FTS5 bm25 ranking; the browser store: a
   * token index (see docs/conversations.md for the differences).
   */
  async search(query: string, options: { peer?: string; limit?: number } = {}): Promise<SearchResult[]> {
    if (typeof query !== 'string' || query.length > MAX_QUERY_LENGTH) throw new ClientError('INVALID_DATA', `a search query is a string of at most ${MAX_QUERY_LENGTH} characters`);
    const hits = await this.d.store.conversations.search(query, { peer: options.peer, limit: checkLimit(options.limit ?? 20) });
    return hits.map((h) => ({ message: decoded(h.message), snippet: h.snippet, rank: h.rank }));
  }

  /** Marks the conversation read up to row id `upToId` (default all): `client.markRead` (read receipts and read sync follow). */
  markRead(peer: string, upToId?: number): Promise<MessagesRead> {
    return this.d.markRead(peer, upToId);
  }

  /** True when this device sends read receipts (the persisted switch, else the `readReceipts` option). */
  readReceipts(): Promise<boolean> {
    return readReceiptsEnabled(this.d.store.settings, this.d.readReceiptsDefault);
  }

  /** Switches read receipts on or off on this device (persisted; read sync to own devices is not affected). */
  async setReadReceipts(enabled: boolean): Promise<void> {
    if (typeof enabled !== 'boolean') throw new ClientError('INVALID_DATA', 'setReadReceipts takes a boolean');
    await this.d.store.settings.set(READ_RECEIPTS_SETTING, enabled ? 'on' : 'off');
  }
}
