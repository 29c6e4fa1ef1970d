/**
 * In-memory `ClientStore` for tests and ephemeral clients. Transactions keep
 * an undo log, so a step that throws leaves every map exactly as it was —
 * the same guarantee the SQLite store gives.
 */
import { ClientError } from '../errors.ts';
import {
  MAX_PREKEY_ID,
  addressKey,
  type ClientStore,
  type DeviceAddress,
  type LocalAccount,
  type MessageDirection,
  type NewMessage,
  type OutboxEntry,
  type PreKeyKind,
  type StoredMessage,
  type StoredPreKey,
  type TrustedIdentity,
} from './types.ts';

const copy = (b: Uint8Array): Uint8Array => b.slice();

/** A `ClientStore` that lives only in this process. */
export class MemoryStore implements ClientStore {
  #account: LocalAccount | undefined;
  readonly #identities = new Map<string, TrustedIdentity>();
  readonly #sessions = new Map<string, { address: DeviceAddress; record: Uint8Array }>();
  readonly #prekeys = new Map<string, StoredPreKey>();
  readonly #counters = new Map<PreKeyKind, number>();
  readonly #messages = new Map<number, StoredMessage>();
  readonly #envelopeIds = new Set<string>();
  readonly #processed = new Set<string>();
  readonly #outbox: OutboxEntry[] = [];
  readonly #settings = new Map<string, string>();
  readonly #pendingSent = new Map<string, NewMessage>();
  #nextMessageId = 1;
  #undo: (() => void)[] | undefined;

  // Records how to reverse a write while a transaction is open.
  #onUndo(fn: () => void): void {
    this.#undo?.push(fn);
  }

  #setMap<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    const had = map.has(key);
    const old = map.get(key);
    this.#onUndo(() => (had ? map.set(key, old as V) : map.delete(key)));
    if (value === undefined) map.delete(key);
    else map.set(key, value);
  }

  transaction<T>(fn: () => T): T {
    if (this.#undo !== undefined) return fn();
    const undo: (() => void)[] = [];
    this.#undo = undo;
    try {
      const out = fn();
      this.#undo = undefined;
      return out;
    } catch (e) {
      this.#undo = undefined;
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      throw e;
    }
  }

  getLocalAccount(): LocalAccount | undefined {
    return this.#account === undefined ? undefined : { ...this.#account };
  }

  setLocalAccount(account: LocalAccount): void {
    const old = this.#account;
    this.#onUndo(() => (this.#account = old));
    this.#account = { ...account };
  }

  getTrustedIdentity(account: string): TrustedIdentity | undefined {
    const t = this.#identities.get(account);
    return t === undefined ? undefined : { ...t, identityKey: copy(t.identityKey) };
  }

  setTrustedIdentity(account: string, identityKey: Uint8Array, now: number, verified = false): void {
    this.#setMap(this.#identities, account, { identityKey: copy(identityKey), trustedAt: now, verified });
  }

  loadSession(address: DeviceAddress): Uint8Array | undefined {
    const s = this.#sessions.get(addressKey(address));
    return s === undefined ? undefined : copy(s.record);
  }

  storeSession(address: DeviceAddress, record: Uint8Array): void {
    this.#setMap(this.#sessions, addressKey(address), { address: { ...address }, record: copy(record) });
  }

  deleteSession(address: DeviceAddress): void {
    this.#setMap(this.#sessions, addressKey(address), undefined);
  }

  sessionDevices(account: string): number[] {
    return [...this.#sessions.values()]
      .filter((s) => s.address.account === account)
      .map((s) => s.address.device)
      .sort((a, b) => a - b);
  }

  storePreKey(key: StoredPreKey): void {
    this.#setMap(this.#prekeys, `${key.kind}:${key.id}`, { ...key, record: copy(key.record) });
  }

  loadPreKey(kind: PreKeyKind, id: number): StoredPreKey | undefined {
    const k = this.#prekeys.get(`${kind}:${id}`);
    return k === undefined ? undefined : { ...k, record: copy(k.record) };
  }

  removePreKey(kind: PreKeyKind, id: number): void {
    this.#setMap(this.#prekeys, `${kind}:${id}`, undefined);
  }

  listPreKeys(kind: PreKeyKind): StoredPreKey[] {
    return [...this.#prekeys.values()].filter((k) => k.kind === kind).sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  }

  markPreKeyReplaced(kind: PreKeyKind, id: number, replacedAt: number): void {
    const k = this.#prekeys.get(`${kind}:${id}`);
    if (k !== undefined && k.replacedAt === undefined) this.#setMap(this.#prekeys, `${kind}:${id}`, { ...k, replacedAt });
  }

  allocatePreKeyIds(kind: PreKeyKind, count: number): number[] {
    return this.transaction(() => {
      let next = this.#counters.get(kind) ?? 1;
      const ids: number[] = [];
      let scanned = 0;
      while (ids.length < count) {
        if (++scanned > MAX_PREKEY_ID) throw new ClientError('INVALID_DATA', `no free ${kind} prekey ids left`);
        if (!this.#prekeys.has(`${kind}:${next}`)) ids.push(next);
        next = next >= MAX_PREKEY_ID ? 1 : next + 1;
      }
      this.#setMap(this.#counters, kind, next);
      return ids;
    });
  }

  addMessage(m: NewMessage): number {
    if (m.envelopeId !== undefined) {
      if (this.#envelopeIds.has(m.envelopeId)) throw new ClientError('INVALID_DATA', `envelope ${m.envelopeId} already stored`);
      const envelopeId = m.envelopeId;
      this.#envelopeIds.add(envelopeId);
      this.#onUndo(() => this.#envelopeIds.delete(envelopeId));
    }
    const id = this.#nextMessageId++;
    this.#onUndo(() => (this.#nextMessageId = id));
    this.#setMap(this.#messages, id, { ...m, id, content: copy(m.content), delivered: m.delivered ?? false });
    return id;
  }

  markDelivered(id: number): void {
    const m = this.#messages.get(id);
    if (m !== undefined) this.#setMap(this.#messages, id, { ...m, delivered: true });
  }

  getMessage(id: number): StoredMessage | undefined {
    const m = this.#messages.get(id);
    return m === undefined ? undefined : { ...m, content: copy(m.content) };
  }

  undeliveredMessages(): StoredMessage[] {
    return [...this.#messages.values()].filter((m) => !m.delivered);
  }

  conversation(peer: string, limit = 1000): StoredMessage[] {
    return [...this.#messages.values()].filter((m) => m.peer === peer).slice(-limit);
  }

  messageCount(direction?: MessageDirection): number {
    let n = 0;
    for (const m of this.#messages.values()) if (direction === undefined || m.direction === direction) n++;
    return n;
  }

  isEnvelopeProcessed(envelopeId: string): boolean {
    return this.#processed.has(envelopeId);
  }

  markEnvelopeProcessed(envelopeId: string): void {
    if (this.#processed.has(envelopeId)) return;
    this.#processed.add(envelopeId);
    this.#onUndo(() => this.#processed.delete(envelopeId));
  }

  addOutbox(entry: OutboxEntry): void {
    this.#outbox.push({ ...entry, envelope: copy(entry.envelope) });
    this.#onUndo(() => this.#outbox.pop());
  }

  outboxBatches(): OutboxEntry[][] {
    const batches = new Map<string, OutboxEntry[]>();
    for (const e of this.#outbox) {
      let list = batches.get(e.batchId);
      if (list === undefined) batches.set(e.batchId, (list = []));
      list.push(e);
    }
    return [...batches.values()];
  }

  removeOutboxBatch(batchId: string): void {
    const before = this.#outbox.splice(0, this.#outbox.length);
    this.#onUndo(() => this.#outbox.splice(0, this.#outbox.length, ...before));
    this.#outbox.push(...before.filter((e) => e.batchId !== batchId));
  }

  setPendingSent(batchId: string, message: NewMessage): void {
    this.#setMap(this.#pendingSent, batchId, { ...message, content: copy(message.content) });
  }

  takePendingSent(batchId: string): NewMessage | undefined {
    const m = this.#pendingSent.get(batchId);
    if (m !== undefined) this.#setMap(this.#pendingSent, batchId, undefined);
    return m;
  }

  getSetting(key: string): string | undefined {
    return this.#settings.get(key);
  }

  setSetting(key: string, value: string): void {
    this.#setMap(this.#settings, key, value);
  }

  close(): void {
    // Nothing to release.
  }
}
