/**
 * The SQLite `expirations` role (migration 9, issue 18): the
 * conversations' disappearing-messages timers and the messages' scheduled
 * deletions (`expirations.message_id` references `messages.id` with ON
 * DELETE CASCADE, so `history.remove` drops the schedule with the row).
 */
import type { Statements } from './sqlite-roles.ts';
import type { ConversationTimer, ExpirationStore } from './types.ts';

type Row = Record<string, unknown>;

export class SqliteExpirations implements ExpirationStore {
  constructor(private readonly s: Statements) {}
  async timer(peer: string): Promise<ConversationTimer | undefined> {
    const r = this.s.get('SELECT * FROM conversation_timers WHERE peer = ?').get(peer) as Row | undefined;
    if (r === undefined) return undefined;
    return { peer: String(r.peer), seconds: Number(r.seconds), version: Number(r.version), updatedBy: String(r.updated_by), updatedAt: Number(r.updated_at) };
  }
  async setTimer(t: ConversationTimer) {
    this.s
      .get(
        `INSERT INTO conversation_timers (peer, seconds, version, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (peer) DO UPDATE SET seconds = excluded.seconds, version = excluded.version, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      )
      .run(t.peer, t.seconds, t.version, t.updatedBy, t.updatedAt);
  }
  async schedule(messageId: number, expiresAt: number) {
    this.s
      .get(
        `INSERT INTO expirations (message_id, expires_at) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?)
         ON CONFLICT (message_id) DO UPDATE SET expires_at = min(expires_at, excluded.expires_at)`,
      )
      .run(messageId, expiresAt, messageId);
  }
  async expiresAt(messageId: number) {
    const r = this.s.get('SELECT expires_at FROM expirations WHERE message_id = ?').get(messageId) as Row | undefined;
    return r === undefined ? undefined : Number(r.expires_at);
  }
  async due(now: number, limit: number) {
    return (this.s.get('SELECT message_id FROM expirations WHERE expires_at <= ? ORDER BY expires_at, message_id LIMIT ?').all(now, limit) as Row[]).map((r) => Number(r.message_id));
  }
  async next() {
    const r = this.s.get('SELECT min(expires_at) AS at FROM expirations').get() as Row;
    return r.at === null || r.at === undefined ? undefined : Number(r.at);
  }
}
