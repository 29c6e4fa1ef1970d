/** The in-memory `edits` role (earlier versions of edited messages), on `MemoryStore`'s undo-logged maps. */
import type { EditStore, StoredEdit } from './types.ts';

/** What the role needs of `MemoryStore`'s tables. */
export interface MemoryEditTables {
  readonly edits: Map<number, StoredEdit[]>;
  setMap<K, V>(map: Map<K, V>, key: K, value: V | undefined): void;
}

const copyEdit = (e: StoredEdit): StoredEdit => ({ ...e, content: e.content.slice() });

export class MemoryEdits implements EditStore {
  constructor(private readonly t: MemoryEditTables) {}
  async add(e: StoredEdit) {
    this.t.setMap(this.t.edits, e.messageId, [...(this.t.edits.get(e.messageId) ?? []), copyEdit(e)]);
  }
  async list(messageId: number) {
    return (this.t.edits.get(messageId) ?? []).map(copyEdit);
  }
  async removeAll(messageId: number) {
    const n = this.t.edits.get(messageId)?.length ?? 0;
    if (n > 0) this.t.setMap(this.t.edits, messageId, undefined);
    return n;
  }
}
