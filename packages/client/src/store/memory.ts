/**
 * In-memory `ClientStore` for tests and ephemeral clients. Transactions run
 * one at a time (a FIFO lock, as in `SqliteStore`) and keep an undo log, so a
 * transaction that rejects leaves every map exactly as it was — the same
 * guarantee the SQLite store gives.
 */
import { ClientError, KyberPreKeyReplayError } from '../errors.ts';
import { MemoryGroups, MemorySenderKeys } from './memory-group-roles.ts';
import { MemoryReceipts } from './memory-receipt-roles.ts';
import { MemoryEdits } from './memory-edit-roles.ts';
import { MemoryExpirations } from './memory-expiration-roles.ts';
import { MemoryHistory } from './memory-history.ts';
import { MemoryKt } from './memory-kt-roles.ts';
import type { KtStore } from './kt-types.ts';
import { SerialQueue, serialRoles } from './serial.ts';
import { MemoryConversations } from '../conversations/memory-conversations.ts';
import type { ConversationStore } from '../conversations/store-types.ts';
import {
  MAX_PREKEY_ID,
  addressKey,
  type ClientStore,
  type Contact,
  type ContactStore,
  type DeviceAddress,
  type HistoryStore,
  type IdentityStore,
  type KyberPreKeyStore,
  type KyberPreKeyUse,
  type LocalAccount,
  type NewMessage,
  type OneTimePreKeyStore,
  type OutboxEntry,
  type OutboxStore,
  type PreKeyKind,
  type QuarantineStore,
  type QuarantinedEnvelope,
  type SentLogEntry,
  type SentLogStore,
  type SessionStore,
  type SettingsStore,
  type SignedPreKeyStore,
  type StoreRoles,
  type StoreTransaction,
  type StoredMessage,
  type StoredPreKey,
  type TrustedIdentity,
  type GroupStore,
  type SenderKeyStore,
  type StoredGroup,
  type ReceiptStore,
  type StoredEdit,
  type EditStore,
  type ConversationTimer,
  type ExpirationStore,
} from './types.ts';

const copy = (b: Uint8Array): Uint8Array => b.slice();
const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** The maps, with an undo log while a transaction is open. */
export class MemoryTables {
  account: LocalAccount | undefined;
  readonly identities = new Map<string, TrustedIdentity>();
  readonly sessions = new Map<string, { address: DeviceAddress; record: Uint8Array }>();
  readonly prekeys = new Map<string, StoredPreKey>();
  readonly counters = new Map<PreKeyKind, number>();
  readonly kyberUses = new Set<string>();
  readonly messages = new Map<number, StoredMessage>();
  readonly envelopeIds = new Set<string>();
  readonly processed = new Set<string>();
  outbox: OutboxEntry[] = [];
  readonly settings = new Map<string, string>();
  readonly contacts = new Map<string, Contact>();
  readonly pendingSent = new Map<string, NewMessage>();
  /** Quarantined envelopes by id; Map order is age (a re-put moves nothing). */
  readonly quarantine = new Map<string, QuarantinedEnvelope>();
  sentLog: SentLogEntry[] = [];
  readonly groups = new Map<string, StoredGroup>();
  readonly groupChanges = new Map<string, { groupId: string; epoch: number; change: Uint8Array }>();
  readonly senderKeys = new Map<string, Uint8Array>();
  /** Earlier versions of edited messages, by message id. */
  readonly edits = new Map<number, StoredEdit[]>();
  readonly timers = new Map<string, ConversationTimer>();
  readonly expirations = new Map<number, number>();
  nextMessageId = 1;
  undo: (() => void)[] | undefined;

  onUndo(fn: () => void): void {
    this.undo?.push(fn);
  }

  setMap<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    const had = map.has(key);
    const old = map.get(key);
    this.onUndo(() => (had ? map.set(key, old as V) : map.delete(key)));
    if (value === undefined) map.delete(key);
    else map.set(key, value);
  }

  addToSet(set: Set<string>, value: string): boolean {
    if (set.has(value)) return false;
    set.add(value);
    this.onUndo(() => set.delete(value));
    return true;
  }
}

class MemorySessions implements SessionStore {
  constructor(private readonly t: MemoryTables) {}
  async load(address: DeviceAddress) {
    const s = this.t.sessions.get(addressKey(address));
    return s === undefined ? undefined : copy(s.record);
  }
  async store(address: DeviceAddress, record: Uint8Array) {
    this.t.setMap(this.t.sessions, addressKey(address), { address: { ...address }, record: copy(record) });
  }
  async remove(address: DeviceAddress) {
    this.t.setMap(this.t.sessions, addressKey(address), undefined);
  }
  async devices(account: string) {
    return [...this.t.sessions.values()]
      .filter((s) => s.address.account === account)
      .map((s) => s.address.device)
      .sort((a, b) => a - b);
  }
}

class MemoryIdentities implements IdentityStore {
  constructor(private readonly t: MemoryTables) {}
  async localAccount() {
    return this.t.account === undefined ? undefined : { ...this.t.account };
  }
  async setLocalAccount(account: LocalAccount) {
    const old = this.t.account;
    this.t.onUndo(() => (this.t.account = old));
    this.t.account = { ...account };
  }
  async trusted(account: string) {
    const t = this.t.identities.get(account);
    return t === undefined ? undefined : { ...t, identityKey: copy(t.identityKey) };
  }
  async trust(account: string, identityKey: Uint8Array, now: number, verified = false) {
    this.t.setMap(this.t.identities, account, { identityKey: copy(identityKey), trustedAt: now, verified });
  }
}

class MemoryPreKeys implements SignedPreKeyStore {
  constructor(
    protected readonly t: MemoryTables,
    protected readonly kind: PreKeyKind,
  ) {}
  protected key(id: number): string {
    return `${this.kind}:${id}`;
  }
  async load(id: number) {
    const k = this.t.prekeys.get(this.key(id));
    return k === undefined ? undefined : { ...k, record: copy(k.record) };
  }
  async store(key: StoredPreKey) {
    this.t.setMap(this.t.prekeys, this.key(key.id), { ...key, kind: this.kind, record: copy(key.record) });
  }
  async remove(id: number) {
    this.t.setMap(this.t.prekeys, this.key(id), undefined);
  }
  async list() {
    return [...this.t.prekeys.values()].filter((k) => k.kind === this.kind).sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  }
  async markReplaced(id: number, replacedAt: number) {
    const k = this.t.prekeys.get(this.key(id));
    if (k !== undefined && k.replacedAt === undefined) this.t.setMap(this.t.prekeys, this.key(id), { ...k, replacedAt });
  }
  async allocateIds(count: number) {
    let next = this.t.counters.get(this.kind) ?? 1;
    const ids: number[] = [];
    let scanned = 0;
    while (ids.length < count) {
      if (++scanned > MAX_PREKEY_ID) throw new ClientError('INVALID_DATA', `no free ${this.kind} prekey ids left`);
      if (!this.t.prekeys.has(this.key(next))) ids.push(next);
      next = next >= MAX_PREKEY_ID ? 1 : next + 1;
    }
    this.t.setMap(this.t.counters, this.kind, next);
    return ids;
  }
}

class MemoryKyberPreKeys extends MemoryPreKeys implements KyberPreKeyStore {
  constructor(t: MemoryTables) {
    super(t, 'kyber');
  }
  override async remove(id: number) {
    await super.remove(id);
    for (const use of [...this.t.kyberUses]) {
      if (use.startsWith(`${id}:`)) {
        this.t.kyberUses.delete(use);
        this.t.onUndo(() => this.t.kyberUses.add(use));
      }
    }
  }
  async markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: Uint8Array): Promise<KyberPreKeyUse> {
    const k = this.t.prekeys.get(this.key(kyberPreKeyId));
    if (k !== undefined && !k.lastResort) {
      await super.remove(kyberPreKeyId);
      return 'removed';
    }
    if (!this.t.addToSet(this.t.kyberUses, `${kyberPreKeyId}:${signedPreKeyId}:${hexOf(baseKey)}`)) {
      throw new KyberPreKeyReplayError(kyberPreKeyId, signedPreKeyId);
    }
    return 'recorded';
  }
}


class MemoryOutbox implements OutboxStore {
  constructor(private readonly t: MemoryTables) {}
  #replace(next: OutboxEntry[]): void {
    const before = this.t.outbox;
    this.t.onUndo(() => (this.t.outbox = before));
    this.t.outbox = next;
  }
  async add(entry: OutboxEntry) {
    this.#replace([...this.t.outbox, { ...entry, envelope: copy(entry.envelope) }]);
  }
  async batches() {
    const batches = new Map<string, OutboxEntry[]>();
    for (const e of this.t.outbox) {
      let list = batches.get(e.batchId);
      if (list === undefined) batches.set(e.batchId, (list = []));
      list.push(e);
    }
    return [...batches.values()];
  }
  async removeBatch(batchId: string) {
    this.#replace(this.t.outbox.filter((e) => e.batchId !== batchId));
  }
  async park(batchId: string, message: NewMessage) {
    this.t.setMap(this.t.pendingSent, batchId, { ...message, content: copy(message.content) });
  }
  async takeParked(batchId: string) {
    const m = this.t.pendingSent.get(batchId);
    if (m !== undefined) this.t.setMap(this.t.pendingSent, batchId, undefined);
    return m;
  }
}

class MemorySettings implements SettingsStore {
  constructor(private readonly t: MemoryTables) {}
  async get(key: string) {
    return this.t.settings.get(key);
  }
  async set(key: string, value: string) {
    this.t.setMap(this.t.settings, key, value);
  }
}

class MemoryContacts implements ContactStore {
  constructor(private readonly t: MemoryTables) {}
  async get(account: string) {
    const c = this.t.contacts.get(account);
    return c === undefined ? undefined : { ...c, profileKey: copy(c.profileKey) };
  }
  async set(contact: Contact) {
    this.t.setMap(this.t.contacts, contact.account, { ...contact, profileKey: copy(contact.profileKey) });
  }
}

class MemoryQuarantine implements QuarantineStore {
  constructor(private readonly t: MemoryTables) {}
  async put(e: Omit<QuarantinedEnvelope, 'attempts'>) {
    const old = this.t.quarantine.get(e.envelopeId);
    const entry = old === undefined ? { ...e, content: copy(e.content), attempts: 1 } : { ...old, ...e, content: old.content, receivedAt: old.receivedAt, attempts: old.attempts + 1 };
    this.t.setMap(this.t.quarantine, e.envelopeId, entry);
  }
  async get(envelopeId: string) {
    const e = this.t.quarantine.get(envelopeId);
    return e === undefined ? undefined : { ...e, content: copy(e.content) };
  }
  async list() {
    return [...this.t.quarantine.values()].map((e) => ({ ...e, content: copy(e.content) }));
  }
  async remove(envelopeId: string) {
    const had = this.t.quarantine.has(envelopeId);
    if (had) {
      // Re-inserting on undo would move it to the end: restore the whole order instead.
      const before = [...this.t.quarantine.entries()];
      this.t.onUndo(() => {
        this.t.quarantine.clear();
        for (const [k, v] of before) this.t.quarantine.set(k, v);
      });
      this.t.quarantine.delete(envelopeId);
    }
    return had;
  }
  async totals() {
    let bytes = 0;
    for (const e of this.t.quarantine.values()) bytes += e.content.length;
    return { count: this.t.quarantine.size, bytes };
  }
}

const sameAddress = (a: DeviceAddress, b: DeviceAddress): boolean => a.account === b.account && a.device === b.device;

class MemorySentLog implements SentLogStore {
  constructor(private readonly t: MemoryTables) {}
  #replace(next: SentLogEntry[]): void {
    const before = this.t.sentLog;
    this.t.onUndo(() => (this.t.sentLog = before));
    this.t.sentLog = next;
  }
  async add(e: SentLogEntry) {
    this.#replace([...this.t.sentLog, { ...e, recipient: { ...e.recipient }, ratchetKey: copy(e.ratchetKey), content: copy(e.content) }]);
  }
  async find(recipient: DeviceAddress, ratchetKey: Uint8Array) {
    const key = hexOf(ratchetKey);
    return this.t.sentLog.filter((e) => sameAddress(e.recipient, recipient) && hexOf(e.ratchetKey) === key).map((e) => ({ ...e, content: copy(e.content), ratchetKey: copy(e.ratchetKey) }));
  }
  async remove(recipient: DeviceAddress, ratchetKey: Uint8Array) {
    const key = hexOf(ratchetKey);
    this.#replace(this.t.sentLog.filter((e) => !(sameAddress(e.recipient, recipient) && hexOf(e.ratchetKey) === key)));
  }
  async removeTimestamp(recipient: DeviceAddress, ratchetKey: Uint8Array, timestamp: number) {
    const key = hexOf(ratchetKey);
    this.#replace(this.t.sentLog.filter((e) => !(sameAddress(e.recipient, recipient) && hexOf(e.ratchetKey) === key && e.timestamp === timestamp)));
  }
  async prune(sentBefore: number, maxEntries: number) {
    const kept = this.t.sentLog.filter((e) => e.sentAt >= sentBefore);
    this.#replace(kept.slice(Math.max(0, kept.length - Math.max(0, maxEntries))));
  }
  async count() {
    return this.t.sentLog.length;
  }
}

/** A `ClientStore` that lives only in this process. */
export class MemoryStore implements ClientStore {
  readonly #tables = new MemoryTables();
  readonly #queue = new SerialQueue();
  readonly #roles: StoreRoles = {
    sessions: new MemorySessions(this.#tables),
    identities: new MemoryIdentities(this.#tables),
    preKeys: new MemoryPreKeys(this.#tables, 'ec'),
    signedPreKeys: new MemoryPreKeys(this.#tables, 'signed'),
    kyberPreKeys: new MemoryKyberPreKeys(this.#tables),
    history: new MemoryHistory(this.#tables),
    outbox: new MemoryOutbox(this.#tables),
    settings: new MemorySettings(this.#tables),
    contacts: new MemoryContacts(this.#tables),
    quarantine: new MemoryQuarantine(this.#tables),
    sentLog: new MemorySentLog(this.#tables),
    groups: new MemoryGroups(this.#tables),
    senderKeys: new MemorySenderKeys(this.#tables),
    receipts: new MemoryReceipts(this.#tables),
    edits: new MemoryEdits(this.#tables),
    expirations: new MemoryExpirations(this.#tables),
    conversations: new MemoryConversations(this.#tables),
    kt: new MemoryKt(this.#tables),
  };
  readonly #serial = serialRoles(this.#roles, this.#queue);
  readonly sessions: SessionStore = this.#serial.sessions;
  readonly identities: IdentityStore = this.#serial.identities;
  readonly preKeys: OneTimePreKeyStore = this.#serial.preKeys;
  readonly signedPreKeys: SignedPreKeyStore = this.#serial.signedPreKeys;
  readonly kyberPreKeys: KyberPreKeyStore = this.#serial.kyberPreKeys;
  readonly history: HistoryStore = this.#serial.history;
  readonly outbox: OutboxStore = this.#serial.outbox;
  readonly settings: SettingsStore = this.#serial.settings;
  readonly contacts: ContactStore = this.#serial.contacts;
  readonly quarantine: QuarantineStore = this.#serial.quarantine;
  readonly sentLog: SentLogStore = this.#serial.sentLog;
  readonly groups: GroupStore = this.#serial.groups;
  readonly senderKeys: SenderKeyStore = this.#serial.senderKeys;
  readonly receipts: ReceiptStore = this.#serial.receipts;
  readonly edits: EditStore = this.#serial.edits;
  readonly expirations: ExpirationStore = this.#serial.expirations;
  readonly conversations: ConversationStore = this.#serial.conversations;
  readonly kt: KtStore = this.#serial.kt;

  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      const undo: (() => void)[] = [];
      this.#tables.undo = undo;
      try {
        return await fn(this.#roles);
      } catch (e) {
        for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
        throw e;
      } finally {
        this.#tables.undo = undefined;
      }
    });
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}
