/**
 * `KvStore`: a `ClientStore` over any `KvBackend` (IndexedDB in browsers,
 * see `browser/indexeddb-backend.ts`; memory in tests). A transaction runs
 * inside the engine's exclusive section (a Web Lock in a browser, so two tabs
 * never interleave), reads the committed records fresh — nothing is cached
 * across transactions, so another tab's writes are always seen — buffers its
 * writes, and commits them in one engine transaction after `fn` resolved. If
 * `fn` rejects or the commit fails, nothing it wrote is stored.
 */
import { ClientError } from '../../errors.ts';
import { mapRoleMethods } from '../serial.ts';
import type { ClientStore, StoreRoles, StoreTransaction } from '../types.ts';
import type { KvBackend } from './backend.ts';
import { KvGroups, KvSenderKeys } from './group-roles.ts';
import { KvReceipts } from './receipt-roles.ts';
import { KvEdits } from './edit-roles.ts';
import { KvHistory, KvOutbox } from './message-roles.ts';
import { KvExpirations } from './expiration-roles.ts';
import { KvConversations } from './conversation-roles.ts';
import { KvKt } from './kt-roles.ts';
import { KvTransaction } from './overlay.ts';
import { KvQuarantine, KvSentLog } from './recovery-roles.ts';
import { KvContacts, KvIdentities, KvKyberPreKeys, KvPreKeys, KvSessions, KvSettings } from './roles.ts';

function kvRoles(tx: KvTransaction): StoreRoles {
  return {
    sessions: new KvSessions(tx),
    identities: new KvIdentities(tx),
    preKeys: new KvPreKeys(tx, 'ec'),
    signedPreKeys: new KvPreKeys(tx, 'signed'),
    kyberPreKeys: new KvKyberPreKeys(tx),
    history: new KvHistory(tx),
    outbox: new KvOutbox(tx),
    settings: new KvSettings(tx),
    contacts: new KvContacts(tx),
    quarantine: new KvQuarantine(tx),
    sentLog: new KvSentLog(tx),
    groups: new KvGroups(tx),
    senderKeys: new KvSenderKeys(tx),
    receipts: new KvReceipts(tx),
    edits: new KvEdits(tx),
    expirations: new KvExpirations(tx),
    conversations: new KvConversations(tx),
    kt: new KvKt(tx),
  };
}

export class KvStore implements ClientStore {
  readonly #backend: KvBackend;
  #closed = false;
  readonly sessions: StoreRoles['sessions'];
  readonly identities: StoreRoles['identities'];
  readonly preKeys: StoreRoles['preKeys'];
  readonly signedPreKeys: StoreRoles['signedPreKeys'];
  readonly kyberPreKeys: StoreRoles['kyberPreKeys'];
  readonly history: StoreRoles['history'];
  readonly outbox: StoreRoles['outbox'];
  readonly settings: StoreRoles['settings'];
  readonly contacts: StoreRoles['contacts'];
  readonly quarantine: StoreRoles['quarantine'];
  readonly sentLog: StoreRoles['sentLog'];
  readonly groups: StoreRoles['groups'];
  readonly senderKeys: StoreRoles['senderKeys'];
  readonly receipts: StoreRoles['receipts'];
  readonly edits: StoreRoles['edits'];
  readonly expirations: StoreRoles['expirations'];
  readonly conversations: StoreRoles['conversations'];
  readonly kt: StoreRoles['kt'];

  constructor(backend: KvBackend) {
    this.#backend = backend;
    // The roles outside a transaction: each call is a transaction of its own.
    const single = mapRoleMethods(kvRoles(new KvTransaction(backend)), (role, method) => (...args) =>
      this.transaction((tx) => (tx[role] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args)),
    );
    this.sessions = single.sessions;
    this.identities = single.identities;
    this.preKeys = single.preKeys;
    this.signedPreKeys = single.signedPreKeys;
    this.kyberPreKeys = single.kyberPreKeys;
    this.history = single.history;
    this.outbox = single.outbox;
    this.settings = single.settings;
    this.contacts = single.contacts;
    this.quarantine = single.quarantine;
    this.sentLog = single.sentLog;
    this.groups = single.groups;
    this.senderKeys = single.senderKeys;
    this.receipts = single.receipts;
    this.edits = single.edits;
    this.expirations = single.expirations;
    this.conversations = single.conversations;
    this.kt = single.kt;
  }

  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new ClientError('CLOSED', 'the store is closed'));
    return this.#backend.exclusive(async () => {
      if (this.#closed) throw new ClientError('CLOSED', 'the store is closed');
      const tx = new KvTransaction(this.#backend);
      const result = await fn(kvRoles(tx));
      const writes = tx.writes();
      if (writes.length > 0) await this.#backend.commit(writes);
      return result;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Waits for the running transaction (the exclusive section is FIFO), then releases the engine.
    await this.#backend.exclusive(async () => undefined).catch(() => undefined);
    await this.#backend.close();
  }
}
