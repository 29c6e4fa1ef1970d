/**
 * The `edits` role of `KvStore`: `edit/messageId/seq` holds one earlier
 * version of an edited message (seq from counter `edit`, so a prefix scan
 * lists them oldest first). Semantics follow `MemoryStore` and
 * `SqliteStore` (the edits contract runs all three). IndexedDB cannot
 * overwrite freed bytes: a removed version is gone from the API at once
 * and from disk when the browser compacts the database.
 */
import type { EditStore, StoredEdit } from '../types.ts';
import type { KvTransaction } from './overlay.ts';

export class KvEdits implements EditStore {
  constructor(private readonly tx: KvTransaction) {}
  async add(e: StoredEdit) {
    this.tx.put(['edit', e.messageId, await this.tx.next('edit')], { ...e });
  }
  async list(messageId: number) {
    return (await this.tx.scan<StoredEdit>(['edit', messageId])).map(([, e]) => e);
  }
  async removeAll(messageId: number) {
    const rows = await this.tx.scanKeys(['edit', messageId]);
    for (const k of rows) this.tx.delete(k);
    return rows.length;
  }
}
