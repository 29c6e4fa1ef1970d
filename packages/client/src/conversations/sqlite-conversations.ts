/**
 * The `conversations` role of `SqliteStore`. Its tables (migration
 * `CONVERSATIONS_MIGRATION`, appended to `MIGRATIONS`) are kept by triggers
 * on `messages`, so every insert, read marking, content change and delete
 * updates them in the same transaction whoever makes it:
 *
 * - `conversations`: one row per peer (newest row id, its stored time, the
 *   unread count), answering `list()` with one indexed query;
 * - `message_search`: an FTS5 table (tokenizer `unicode61 remove_diacritics 2`),
 *   rowid = message id, holding the text of chat messages with text. The text
 *   comes from the registered SQL function `sealpost_search_text(content)`
 *   (`searchTextOf`, TypeScript), which `SqliteStore` registers on every
 *   connection before migrating.
 *
 * FTS5 is compiled into both better-sqlite3 and better-sqlite3-multiple-ciphers
 * (the SQLCipher-format store); with an encryption key the index is
 * encrypted with the rest of the file.
 */
import { toMessage, type Statements } from '../store/sqlite-roles.ts';
import type { StoredMessage } from '../store/types.ts';
import { queryWords } from './search-text.ts';
import type { ConversationStore, ConversationSummary, SearchHit, SearchOptions } from './store-types.ts';

type Row = Record<string, unknown>;

/** Columns of a message row, prefixed `m_`, beside others in one result row. */
const MESSAGE_COLUMNS = ['id', 'direction', 'peer', 'sender_account', 'sender_device', 'timestamp', 'content', 'envelope_id', 'stored_at', 'delivered', 'read_at'];
const selectMessage = MESSAGE_COLUMNS.map((c) => `m.${c} AS m_${c}`).join(', ');
const messageOf = (r: Row): StoredMessage => toMessage(Object.fromEntries(MESSAGE_COLUMNS.map((c) => [c, r[`m_${c}`]])));

const summaryOf = (r: Row): ConversationSummary => ({ peer: String(r.peer), lastMessage: messageOf(r), unread: Number(r.unread), lastActivity: Number(r.last_activity) });

/** An FTS5 query: every word as a quoted prefix term (no operators reach FTS5 from user text). */
function ftsQuery(words: readonly string[]): string {
  return words.map((w) => `"${w}"*`).join(' ');
}

export class SqliteConversations implements ConversationStore {
  constructor(private readonly s: Statements) {}

  async list(limit = -1) {
    const rows = this.s.get(`SELECT c.peer, c.unread, c.last_activity, ${selectMessage} FROM conversations c JOIN messages m ON m.id = c.last_id ORDER BY c.last_id DESC LIMIT ?`).all(limit) as Row[];
    return rows.map(summaryOf);
  }

  async get(peer: string) {
    const r = this.s.get(`SELECT c.peer, c.unread, c.last_activity, ${selectMessage} FROM conversations c JOIN messages m ON m.id = c.last_id WHERE c.peer = ?`).get(peer) as Row | undefined;
    return r === undefined ? undefined : summaryOf(r);
  }

  async page(peer: string, beforeId: number, limit: number) {
    return (this.s.get('SELECT * FROM messages WHERE peer = ? AND id < ? ORDER BY id DESC LIMIT ?').all(peer, beforeId, limit) as Row[]).map(toMessage);
  }

  async search(query: string, options: SearchOptions) {
    const words = queryWords(query);
    if (words.length === 0) return [];
    const sql = `SELECT ${selectMessage}, snippet(message_search, 0, '[', ']', '…', 12) AS snippet, bm25(message_search) AS rank
      FROM message_search JOIN messages m ON m.id = message_search.rowid
      WHERE message_search MATCH ? ${options.peer === undefined ? '' : 'AND m.peer = ?'}
      ORDER BY rank, m.id DESC LIMIT ?`;
    const args = options.peer === undefined ? [ftsQuery(words), options.limit] : [ftsQuery(words), options.peer, options.limit];
    return (this.s.get(sql).all(...args) as Row[]).map((r): SearchHit => ({ message: messageOf(r), snippet: String(r.snippet), rank: Number(r.rank) }));
  }

  async compact() {
    this.s.get("INSERT INTO message_search (message_search) VALUES ('optimize')").run();
  }

  async locate(author: string, timestamp: number) {
    return (this.s.get('SELECT * FROM messages WHERE sender_account = ? AND timestamp = ? ORDER BY id').all(author, timestamp) as Row[]).map(toMessage);
  }
}
