/** The SQLite `edits` role: earlier versions of edited messages (table `message_edits`, migration 8). */
import type { Statements } from './sqlite-roles.ts';
import type { EditStore, StoredEdit } from './types.ts';

type Row = Record<string, unknown>;
const bytes = (v: unknown): Uint8Array => new Uint8Array(v as ArrayBufferLike & Uint8Array);

export class SqliteEdits implements EditStore {
  constructor(private readonly s: Statements) {}
  async add(e: StoredEdit) {
    this.s.get('INSERT INTO message_edits (message_id, content, edit_timestamp, replaced_at) VALUES (?, ?, ?, ?)').run(e.messageId, e.content, e.editTimestamp, e.replacedAt);
  }
  async list(messageId: number) {
    return (this.s.get('SELECT * FROM message_edits WHERE message_id = ? ORDER BY seq').all(messageId) as Row[]).map(
      (r): StoredEdit => ({ messageId: Number(r.message_id), content: bytes(r.content), editTimestamp: Number(r.edit_timestamp), replacedAt: Number(r.replaced_at) }),
    );
  }
  async removeAll(messageId: number) {
    const n = this.s.get('DELETE FROM message_edits WHERE message_id = ?').run(messageId).changes;
    // The old texts are plaintext: secure_delete zeroes them; the WAL is checkpointed after the commit.
    if (n > 0) this.s.scrubAfterCommit = true;
    return n;
  }
}
