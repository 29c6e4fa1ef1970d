/**
 * The message roles of `KvStore`: history (with the inbox and envelope
 * de-duplication) and the outbox. Layout: `message/id` (the row),
 * `envelope/envelopeId` (its row id), `undelivered/id`, `byPeer/peer/id` and
 * `unread/peer/id` (key-only indexes), `processed/envelopeId`, `outbox/seq`,
 * `parked/batchId`; counters `message`, `count.in`, `count.out`, `outbox`.
 * `remove` deletes a row with every index key of it (and its `expiry`).
 */
import { ClientError } from '../../errors.ts';
import type { HistoryStore, MessageDirection, NewMessage, OutboxEntry, OutboxStore, StoredMessage } from '../types.ts';
import type { KvTransaction } from './overlay.ts';
import { unscheduleExpiry } from './expiration-roles.ts';
import type { SentLogEntry } from '../types.ts';
import { kvConversationAdded, kvConversationRead, kvConversationRemoved, kvReindexText } from './conversation-roles.ts';

export class KvHistory implements HistoryStore {
  constructor(private readonly tx: KvTransaction) {}
  async add(m: NewMessage) {
    if (m.envelopeId !== undefined) {
      if (await this.tx.has(['envelope', m.envelopeId])) throw new ClientError('INVALID_DATA', `envelope ${m.envelopeId} already stored`);
    }
    const id = await this.tx.next('message');
    const row: StoredMessage = { ...m, id, delivered: m.delivered ?? false };
    this.tx.put(['message', id], row);
    if (m.envelopeId !== undefined) this.tx.put(['envelope', m.envelopeId], id);
    if (!row.delivered) this.tx.put(['undelivered', id], true);
    this.tx.put(['byPeer', m.peer, id], true);
    if (m.direction === 'in' && m.readAt === undefined) this.tx.put(['unread', m.peer, id], true);
    await this.tx.next(`count.${m.direction}`, 0);
    await kvConversationAdded(this.tx, id, m); // conversations: summary, references, search index
    return id;
  }
  async markDelivered(id: number) {
    const m = await this.get(id);
    if (m === undefined || m.delivered) return;
    this.tx.put(['message', id], { ...m, delivered: true });
    this.tx.delete(['undelivered', id]);
  }
  get(id: number) {
    return this.tx.get<StoredMessage>(['message', id]);
  }
  async undelivered() {
    return this.#rows((await this.tx.scanKeys(['undelivered'])).map((k) => Number(k[1])));
  }
  async conversation(peer: string, limit = 1000) {
    const ids = (await this.tx.scanKeys(['byPeer', peer])).map((k) => Number(k[2]));
    return this.#rows(ids.slice(Math.max(0, ids.length - limit)));
  }
  async markRead(peer: string, upToId: number, now: number) {
    const ids = (await this.tx.scanKeys(['unread', peer])).map((k) => Number(k[2])).filter((id) => id <= upToId);
    const marked: StoredMessage[] = [];
    for (const m of await this.#rows(ids)) {
      const row = { ...m, readAt: now };
      this.tx.put(['message', m.id], row);
      this.tx.delete(['unread', peer, m.id]);
      marked.push(row);
    }
    await kvConversationRead(this.tx, peer, marked.length); // conversations: unread count
    return marked.sort((a, b) => a.id - b.id);
  }
  async remove(ids: readonly number[]) {
    let removed = 0;
    const rows = await this.#rows([...new Set(ids)]);
    const sentLog = rows.some((m) => m.direction === 'out') ? await this.tx.scan<SentLogEntry>(['sentLog']) : [];
    for (const m of rows) {
      this.tx.delete(['message', m.id]);
      if (m.envelopeId !== undefined) this.tx.delete(['envelope', m.envelopeId]);
      this.tx.delete(['undelivered', m.id]);
      this.tx.delete(['byPeer', m.peer, m.id]);
      this.tx.delete(['unread', m.peer, m.id]);
      await kvConversationRemoved(this.tx, m);
      await unscheduleExpiry(this.tx, m.id);
      // Its earlier versions (edit for everyone) go with it, as SQLite's foreign key cascades.
      for (const k of await this.tx.scanKeys(['edit', m.id])) this.tx.delete(k);
      await this.tx.next(`count.${m.direction}`, 0, -1);
      // The sent log keeps a sent message's plaintext for resends (24 h; the recipients' copy and our
      // devices' sync transcript): every entry of its timestamp goes too.
      for (const [k, e] of sentLog) {
        if (m.direction !== 'out' || e.timestamp !== m.timestamp) continue;
        this.tx.delete(k);
        this.tx.delete(['sentLogAt', e.sentAt, Number(k[1])]);
      }
      removed++;
    }
    return removed;
  }
  async recent(limit: number, since: number) {
    const rows = (await this.tx.scan<StoredMessage>(['message'])).map(([, m]) => m).filter((m) => m.timestamp >= since);
    return rows.slice(Math.max(0, rows.length - limit));
  }
  async count(direction?: MessageDirection) {
    const of = async (d: MessageDirection) => (await this.tx.get<number>(['counter', `count.${d}`])) ?? 0;
    return direction === undefined ? (await of('in')) + (await of('out')) : of(direction);
  }
  isProcessed(envelopeId: string) {
    return this.tx.has(['processed', envelopeId]);
  }
  async markProcessed(envelopeId: string, now: number) {
    if (!(await this.isProcessed(envelopeId))) this.tx.put(['processed', envelopeId], now);
  }
  async replaceContent(id: number, content: Uint8Array) {
    const m = await this.get(id);
    if (m === undefined) return;
    await kvReindexText(this.tx, id, m.content, content);
    this.tx.put(['message', id], { ...m, content });
  }
  async findByRef(peer: string, author: string, timestamp: number) {
    // A scan of the conversation (an edit is rare; no index to keep up).
    for (const m of await this.conversation(peer, Number.MAX_SAFE_INTEGER)) if (m.sender.account === author && m.timestamp === timestamp) return m;
    return undefined;
  }
  async #rows(ids: number[]): Promise<StoredMessage[]> {
    const rows = await this.tx.getMany<StoredMessage>(ids.map((id) => ['message', id] as const));
    return rows.filter((m): m is StoredMessage => m !== undefined);
  }
}

export class KvOutbox implements OutboxStore {
  constructor(private readonly tx: KvTransaction) {}
  async add(entry: OutboxEntry) {
    this.tx.put(['outbox', await this.tx.next('outbox')], { ...entry });
  }
  async batches() {
    const batches = new Map<string, OutboxEntry[]>();
    for (const [, e] of await this.tx.scan<OutboxEntry>(['outbox'])) {
      let list = batches.get(e.batchId);
      if (list === undefined) batches.set(e.batchId, (list = []));
      list.push(e);
    }
    return [...batches.values()];
  }
  async removeBatch(batchId: string) {
    for (const [k, e] of await this.tx.scan<OutboxEntry>(['outbox'])) if (e.batchId === batchId) this.tx.delete(k);
  }
  async park(batchId: string, message: NewMessage) {
    this.tx.put(['parked', batchId], { ...message });
  }
  async takeParked(batchId: string) {
    const m = await this.tx.get<NewMessage>(['parked', batchId]);
    if (m !== undefined) this.tx.delete(['parked', batchId]);
    return m;
  }
}
