/**
 * The `conversations` store role: per-conversation summaries kept up to date
 * by the store itself in the same transaction as `history.add` /
 * `history.markRead`, pages of one conversation's history, local full-text
 * search, and finding received messages by reference (author + timestamp).
 * Implemented by all three backends (memory: `conversations/memory-conversations.ts`,
 * SQLite: `conversations/sqlite-conversations.ts` with FTS5, KvStore:
 * `store/kv/conversation-roles.ts` with a token index).
 */
import type { StoredMessage } from '../store/types.ts';

/** One conversation (a 1:1 peer account, or a group's `group:<hex id>`). */
export interface ConversationSummary {
  readonly peer: string;
  /** The newest stored message of the conversation (sent or received). */
  readonly lastMessage: StoredMessage;
  /** Received messages not yet marked read. */
  readonly unread: number;
  /** When the newest message was stored here, ms. */
  readonly lastActivity: number;
}

/** One search result. */
export interface SearchHit {
  readonly message: StoredMessage;
  /** A short excerpt of the text around the match, matched words in `[` `]`. */
  readonly snippet: string;
  /** Lower is better (SQLite: FTS5 bm25; the other stores: a bm25-like score, negated). */
  readonly rank: number;
}

/** What `search` takes. */
export interface SearchOptions {
  /** Only this conversation. */
  readonly peer?: string | undefined;
  /** Most hits (best first). */
  readonly limit: number;
}

/** The `conversations` role of a `ClientStore`. */
export interface ConversationStore {
  /** Every conversation, the one with the newest message first; at most `limit`. */
  list(limit?: number): Promise<ConversationSummary[]>;
  /** The summary of one conversation, undefined when it has no message. */
  get(peer: string): Promise<ConversationSummary | undefined>;
  /** The newest `limit` messages of `peer` with row id < `beforeId`, NEWEST FIRST. */
  page(peer: string, beforeId: number, limit: number): Promise<StoredMessage[]>;
  /**
   * Messages whose text contains every word of `query` (each as a word
   * prefix, case- and diacritic-insensitive), best first; ties newest first.
   */
  search(query: string, options: SearchOptions): Promise<SearchHit[]>;
  /** Stored messages whose sender account is `author` and whose sender timestamp is `timestamp`, oldest first. */
  locate(author: string, timestamp: number): Promise<StoredMessage[]>;
  /**
   * Rewrites the search index without what deleted rows left in it. For a
   * role that deletes messages for good (disappearing messages): SQLite's FTS5
   * keeps a deleted row's terms in its index segments until they merge, so
   * call this after the deletion (with `secure_delete` on, the freed pages are
   * zeroed); the other stores drop index entries with the row and do nothing.
   */
  compact(): Promise<void>;
}
