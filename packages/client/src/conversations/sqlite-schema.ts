/**
 * The SQLite schema of the `conversations` role (one migration, appended to
 * `MIGRATIONS`): summaries, the FTS5 index and the triggers on `messages`
 * that keep both (see sqlite-conversations.ts). The triggers call
 * `sealpost_search_text(content)`, registered by `SqliteStore` on its
 * connection before migrating.
 */
import type Database from 'better-sqlite3';
import { searchTextOf } from './search-text.ts';

/** The SQL function the search triggers call. */
export const SEARCH_TEXT_FUNCTION = 'sealpost_search_text';

/** Registers `SEARCH_TEXT_FUNCTION` on `db` (before migrations and any write to `messages`). */
export function registerSearchTextFunction(db: Database.Database): void {
  db.function(SEARCH_TEXT_FUNCTION, { deterministic: true }, (content: unknown) => (content instanceof Uint8Array ? (searchTextOf(content) ?? null) : null));
}

const indexText = (row: 'new') => `INSERT INTO message_search (rowid, body) SELECT ${row}.id, t FROM (SELECT ${SEARCH_TEXT_FUNCTION}(${row}.content) AS t) WHERE t IS NOT NULL;`;

/** The schema of the role: summaries, the FTS5 index, their triggers, and both filled from the existing history. */
export const CONVERSATIONS_MIGRATION = `
  CREATE TABLE conversations (
    peer TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL,
    last_activity INTEGER NOT NULL,
    unread INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX conversations_recent ON conversations (last_id DESC);
  CREATE INDEX messages_author_time ON messages (sender_account, timestamp);
  CREATE VIRTUAL TABLE message_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
  CREATE TRIGGER conversations_after_insert AFTER INSERT ON messages BEGIN
    INSERT INTO conversations (peer, last_id, last_activity, unread)
      VALUES (new.peer, new.id, new.stored_at, CASE WHEN new.direction = 'in' AND new.read_at IS NULL THEN 1 ELSE 0 END)
      ON CONFLICT (peer) DO UPDATE SET
        last_activity = CASE WHEN excluded.last_id > last_id THEN excluded.last_activity ELSE last_activity END,
        last_id = max(last_id, excluded.last_id),
        unread = unread + excluded.unread;
    ${indexText('new')}
  END;
  CREATE TRIGGER conversations_after_read AFTER UPDATE OF read_at ON messages
    WHEN new.direction = 'in' AND (old.read_at IS NULL) <> (new.read_at IS NULL) BEGIN
    UPDATE conversations SET unread = unread + CASE WHEN new.read_at IS NULL THEN 1 ELSE -1 END WHERE peer = new.peer;
  END;
  CREATE TRIGGER message_search_after_content AFTER UPDATE OF content ON messages BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    ${indexText('new')}
  END;
  CREATE TRIGGER conversations_after_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    DELETE FROM conversations WHERE peer = old.peer AND NOT EXISTS (SELECT 1 FROM messages WHERE peer = old.peer);
    UPDATE conversations SET unread = unread - CASE WHEN old.direction = 'in' AND old.read_at IS NULL THEN 1 ELSE 0 END WHERE peer = old.peer;
    UPDATE conversations SET
      last_id = (SELECT max(id) FROM messages WHERE peer = old.peer),
      last_activity = (SELECT stored_at FROM messages WHERE peer = old.peer ORDER BY id DESC LIMIT 1)
      WHERE peer = old.peer AND last_id = old.id;
  END;
  INSERT INTO conversations (peer, last_id, last_activity, unread)
    SELECT peer, max(id), 0, sum(CASE WHEN direction = 'in' AND read_at IS NULL THEN 1 ELSE 0 END) FROM messages GROUP BY peer;
  UPDATE conversations SET last_activity = (SELECT stored_at FROM messages WHERE id = conversations.last_id);
  INSERT INTO message_search (rowid, body) SELECT id, t FROM (SELECT id, ${SEARCH_TEXT_FUNCTION}(content) AS t FROM messages) WHERE t IS NOT NULL;
`;
