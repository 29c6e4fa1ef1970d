/** The in-memory `history` role of `MemoryStore`, on its undo-logged tables. */
import { ClientError } from '../errors.ts';
import type { MemoryTables } from './memory.ts';
import type { HistoryStore, MessageDirection, NewMessage, StoredMessage } from './types.ts';

export class MemoryHistory implements HistoryStore {
  constructor(private readonly t: MemoryTables) {}
  async add(m: NewMessage) {
    if (m.envelopeId !== undefined && !this.t.addToSet(this.t.envelopeIds, m.envelopeId)) {
      throw new ClientError('INVALID_DATA', `envelope ${m.envelopeId} already stored`);
    }
    const id = this.t.nextMessageId++;
    this.t.onUndo(() => (this.t.nextMessageId = id));
    this.t.setMap(this.t.messages, id, { ...m, id, content: m.content.slice(), delivered: m.delivered ?? false });
    return id;
  }
  async markDelivered(id: number) {
    const m = this.t.messages.get(id);
    if (m !== undefined) this.t.setMap(this.t.messages, id, { ...m, delivered: true });
  }
  async get(id: number) {
    const m = this.t.messages.get(id);
    return m === undefined ? undefined : { ...m, content: m.content.slice() };
  }
  async undelivered() {
    return [...this.t.messages.values()].filter((m) => !m.delivered);
  }
  async conversation(peer: string, limit = 1000) {
    return [...this.t.messages.values()].filter((m) => m.peer === peer).slice(-limit);
  }
  async markRead(peer: string, upToId: number, now: number) {
    const marked: StoredMessage[] = [];
    for (const m of this.t.messages.values()) {
      if (m.peer !== peer || m.direction !== 'in' || m.id > upToId || m.readAt !== undefined) continue;
      const row = { ...m, readAt: now };
      this.t.setMap(this.t.messages, m.id, row);
      marked.push({ ...row, content: row.content.slice() });
    }
    return marked.sort((a, b) => a.id - b.id);
  }
  async remove(ids: readonly number[]) {
    let removed = 0;
    for (const id of new Set(ids)) {
      const m = this.t.messages.get(id);
      if (m === undefined) continue;
      this.t.setMap(this.t.messages, id, undefined);
      this.t.setMap(this.t.expirations, id, undefined);
      // Its earlier versions (edit for everyone) go with it, as SQLite's foreign key cascades.
      if (this.t.edits.has(id)) this.t.setMap(this.t.edits, id, undefined);
      if (m.envelopeId !== undefined && this.t.envelopeIds.delete(m.envelopeId)) this.t.onUndo(() => this.t.envelopeIds.add(m.envelopeId!));
      const before = this.t.sentLog;
      const kept = m.direction === 'out' ? before.filter((e) => e.timestamp !== m.timestamp) : before;
      if (kept.length !== before.length) {
        this.t.onUndo(() => (this.t.sentLog = before));
        this.t.sentLog = kept;
      }
      removed++;
    }
    return removed;
  }
  async recent(limit: number, since: number) {
    return [...this.t.messages.values()].filter((m) => m.timestamp >= since).slice(-limit).map((m) => ({ ...m, content: m.content.slice() }));
  }
  async count(direction?: MessageDirection) {
    let n = 0;
    for (const m of this.t.messages.values()) if (direction === undefined || m.direction === direction) n++;
    return n;
  }
  async isProcessed(envelopeId: string) {
    return this.t.processed.has(envelopeId);
  }
  async markProcessed(envelopeId: string) {
    this.t.addToSet(this.t.processed, envelopeId);
  }
  async replaceContent(id: number, content: Uint8Array) {
    const m = this.t.messages.get(id);
    if (m !== undefined) this.t.setMap(this.t.messages, id, { ...m, content: content.slice() });
  }
  async findByRef(peer: string, author: string, timestamp: number) {
    for (const m of this.t.messages.values()) if (m.peer === peer && m.sender.account === author && m.timestamp === timestamp) return { ...m, content: m.content.slice() };
    return undefined;
  }
}
