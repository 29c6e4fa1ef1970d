/**
 * The store roles over one better-sqlite3 connection. Statements run
 * synchronously; the methods are `async` only to meet the interfaces.
 * Whether a call is part of a transaction is decided by `SqliteStore`
 * (which holds the connection lock around `BEGIN IMMEDIATE … COMMIT`).
 */
import type Database from 'better-sqlite3';
import { ClientError, KyberPreKeyReplayError } from '../errors.ts';
import { SqliteGroups, SqliteSenderKeys } from './sqlite-group-roles.ts';
import { SqliteReceipts } from './sqlite-receipt-roles.ts';
import { SqliteQuarantine, SqliteSentLog } from './sqlite-recovery-roles.ts';
import { SqliteEdits } from './sqlite-edit-roles.ts';
import { SqliteExpirations } from './sqlite-expiration-roles.ts';
import { SqliteKt } from './sqlite-kt-roles.ts';
import { SqliteConversations } from '../conversations/sqlite-conversations.ts';
import {
  MAX_PREKEY_ID,
  type Contact,
  type ContactStore,
  type DeviceAddress,
  type HistoryStore,
  type IdentityStore,
  type KyberPreKeyStore,
  type KyberPreKeyUse,
  type LocalAccount,
  type MessageDirection,
  type NewMessage,
  type OutboxEntry,
  type OutboxStore,
  type PreKeyKind,
  type SessionStore,
  type SettingsStore,
  type SignedPreKeyStore,
  type StoreRoles,
  type StoredMessage,
  type StoredPreKey,
  type TrustedIdentity,
} from './types.ts';

type Row = Record<string, unknown>;

/** Prepared statements, cached per SQL text. */
export class Statements {
  readonly #cache = new Map<string, Database.Statement>();
  /** Set when a transaction overwrote or removed message plaintext (`replaceContent`, `history.remove`): `SqliteStore` checkpoints the WAL after the commit, so no old page image stays in it. */
  scrubAfterCommit = false;
  constructor(readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let s = this.#cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` atomically: joins an open transaction (as a savepoint) or opens one. */
  atomic<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}

/**
 * Copies the WAL into the database file and truncates it to zero bytes, so
 * deleted content (overwritten in the database by `secure_delete`) is no
 * longer in older WAL frames either. Best effort: a reader on another
 * connection can keep frames back (`busy`), then the next removal retries.
 */
export function truncateWal(db: Database.Database): void {
  // The search index keeps removed words in older segments until it is merged: merge it (secure_delete zeroes the freed pages) first.
  db.prepare("INSERT INTO message_search (message_search) VALUES ('optimize')").run();
  db.pragma('wal_checkpoint(TRUNCATE)');
}

const bytes = (v: unknown): Uint8Array => new Uint8Array(v as ArrayBufferLike & Uint8Array);

export function toMessage(r: Row): StoredMessage {
  return {
    id: Number(r.id),
    direction: r.direction as MessageDirection,
    peer: String(r.peer),
    sender: { account: String(r.sender_account), device: Number(r.sender_device) },
    timestamp: Number(r.timestamp),
    content: bytes(r.content),
    envelopeId: r.envelope_id === null ? undefined : String(r.envelope_id),
    storedAt: Number(r.stored_at),
    delivered: r.delivered === 1,
    readAt: r.read_at === null || r.read_at === undefined ? undefined : Number(r.read_at),
  };
}

function toPreKey(r: Row): StoredPreKey {
  return {
    kind: r.kind as PreKeyKind,
    id: Number(r.id),
    record: bytes(r.record),
    createdAt: Number(r.created_at),
    lastResort: r.last_resort === 1,
    replacedAt: r.replaced_at === null ? undefined : Number(r.replaced_at),
  };
}

function toLocalAccount(r: Row): LocalAccount {
  const identity = { identityPrivateKey: bytes(r.identity_private), identityPublicKey: bytes(r.identity_public), registrationId: Number(r.registration_id) };
  if (r.account === null || r.device === null || r.device_secret === null || r.profile_key === null) return identity;
  return { ...identity, account: String(r.account), device: Number(r.device), deviceSecret: String(r.device_secret), profileKey: bytes(r.profile_key) };
}

class SqliteSessions implements SessionStore {
  constructor(private readonly s: Statements) {}
  async load(a: DeviceAddress) {
    const r = this.s.get('SELECT record FROM sessions WHERE account = ? AND device = ?').get(a.account, a.device) as Row | undefined;
    return r === undefined ? undefined : bytes(r.record);
  }
  async store(a: DeviceAddress, record: Uint8Array) {
    this.s
      .get('INSERT INTO sessions (account, device, record) VALUES (?, ?, ?) ON CONFLICT (account, device) DO UPDATE SET record = excluded.record')
      .run(a.account, a.device, record);
  }
  async remove(a: DeviceAddress) {
    this.s.get('DELETE FROM sessions WHERE account = ? AND device = ?').run(a.account, a.device);
  }
  async devices(account: string) {
    return (this.s.get('SELECT device FROM sessions WHERE account = ? ORDER BY device').all(account) as Row[]).map((r) => Number(r.device));
  }
}

class SqliteIdentities implements IdentityStore {
  constructor(private readonly s: Statements) {}
  async localAccount() {
    const r = this.s.get('SELECT * FROM local_account WHERE singleton = 1').get() as Row | undefined;
    return r === undefined ? undefined : toLocalAccount(r);
  }
  async setLocalAccount(a: LocalAccount) {
    this.s
      .get(
        `INSERT INTO local_account (singleton, identity_private, identity_public, registration_id, account, device, device_secret, profile_key)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (singleton) DO UPDATE SET identity_private = excluded.identity_private, identity_public = excluded.identity_public,
           registration_id = excluded.registration_id, account = excluded.account, device = excluded.device,
           device_secret = excluded.device_secret, profile_key = excluded.profile_key`,
      )
      .run(a.identityPrivateKey, a.identityPublicKey, a.registrationId, a.account ?? null, a.device ?? null, a.deviceSecret ?? null, a.profileKey ?? null);
  }
  async trusted(account: string): Promise<TrustedIdentity | undefined> {
    const r = this.s.get('SELECT * FROM identities WHERE account = ?').get(account) as Row | undefined;
    return r === undefined ? undefined : { identityKey: bytes(r.identity_key), trustedAt: Number(r.trusted_at), verified: r.verified === 1 };
  }
  async trust(account: string, identityKey: Uint8Array, now: number, verified = false) {
    this.s
      .get(
        `INSERT INTO identities (account, identity_key, trusted_at, verified) VALUES (?, ?, ?, ?)
         ON CONFLICT (account) DO UPDATE SET identity_key = excluded.identity_key, trusted_at = excluded.trusted_at, verified = excluded.verified`,
      )
      .run(account, identityKey, now, verified ? 1 : 0);
  }
}

class SqlitePreKeys implements SignedPreKeyStore {
  constructor(
    protected readonly s: Statements,
    protected readonly kind: PreKeyKind,
  ) {}
  async load(id: number) {
    const r = this.s.get('SELECT * FROM prekeys WHERE kind = ? AND id = ?').get(this.kind, id) as Row | undefined;
    return r === undefined ? undefined : toPreKey(r);
  }
  async store(k: StoredPreKey) {
    this.s
      .get(
        `INSERT INTO prekeys (kind, id, record, created_at, last_resort, replaced_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET record = excluded.record, created_at = excluded.created_at,
           last_resort = excluded.last_resort, replaced_at = excluded.replaced_at`,
      )
      .run(this.kind, k.id, k.record, k.createdAt, k.lastResort ? 1 : 0, k.replacedAt ?? null);
  }
  async remove(id: number) {
    this.s.get('DELETE FROM prekeys WHERE kind = ? AND id = ?').run(this.kind, id);
  }
  async list() {
    return (this.s.get('SELECT * FROM prekeys WHERE kind = ? ORDER BY created_at, id').all(this.kind) as Row[]).map(toPreKey);
  }
  async markReplaced(id: number, replacedAt: number) {
    this.s.get('UPDATE prekeys SET replaced_at = ? WHERE kind = ? AND id = ? AND replaced_at IS NULL').run(replacedAt, this.kind, id);
  }
  async allocateIds(count: number) {
    return this.s.atomic(() => {
      const r = this.s.get('SELECT next_id FROM prekey_counters WHERE kind = ?').get(this.kind) as Row | undefined;
      let next = r === undefined ? 1 : Number(r.next_id);
      const inUse = this.s.get('SELECT 1 FROM prekeys WHERE kind = ? AND id = ?');
      const ids: number[] = [];
      let scanned = 0;
      while (ids.length < count) {
        if (++scanned > MAX_PREKEY_ID) throw new ClientError('INVALID_DATA', `no free ${this.kind} prekey ids left`);
        if (inUse.get(this.kind, next) === undefined) ids.push(next);
        next = next >= MAX_PREKEY_ID ? 1 : next + 1;
      }
      this.s.get('INSERT INTO prekey_counters (kind, next_id) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET next_id = excluded.next_id').run(this.kind, next);
      return ids;
    });
  }
}

class SqliteKyberPreKeys extends SqlitePreKeys implements KyberPreKeyStore {
  constructor(s: Statements) {
    super(s, 'kyber');
  }
  override async remove(id: number) {
    this.s.atomic(() => {
      this.s.get("DELETE FROM prekeys WHERE kind = 'kyber' AND id = ?").run(id);
      this.s.get('DELETE FROM kyber_prekey_uses WHERE kyber_id = ?').run(id);
    });
  }
  async markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: Uint8Array): Promise<KyberPreKeyUse> {
    return this.s.atomic(() => {
      const r = this.s.get("SELECT last_resort FROM prekeys WHERE kind = 'kyber' AND id = ?").get(kyberPreKeyId) as Row | undefined;
      if (r !== undefined && r.last_resort !== 1) {
        this.s.get("DELETE FROM prekeys WHERE kind = 'kyber' AND id = ?").run(kyberPreKeyId);
        return 'removed';
      }
      const info = this.s.get('INSERT OR IGNORE INTO kyber_prekey_uses (kyber_id, signed_id, base_key) VALUES (?, ?, ?)').run(kyberPreKeyId, signedPreKeyId, baseKey);
      if (info.changes === 0) throw new KyberPreKeyReplayError(kyberPreKeyId, signedPreKeyId);
      return 'recorded';
    });
  }
}

class SqliteHistory implements HistoryStore {
  constructor(private readonly s: Statements) {}
  async add(m: NewMessage) {
    const info = this.s
      .get(
        `INSERT INTO messages (direction, peer, sender_account, sender_device, timestamp, content, envelope_id, stored_at, delivered, read_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(m.direction, m.peer, m.sender.account, m.sender.device, m.timestamp, m.content, m.envelopeId ?? null, m.storedAt, m.delivered ? 1 : 0, m.readAt ?? null);
    return Number(info.lastInsertRowid);
  }
  async markDelivered(id: number) {
    this.s.get('UPDATE messages SET delivered = 1 WHERE id = ?').run(id);
  }
  async get(id: number) {
    const r = this.s.get('SELECT * FROM messages WHERE id = ?').get(id) as Row | undefined;
    return r === undefined ? undefined : toMessage(r);
  }
  async undelivered() {
    return (this.s.get('SELECT * FROM messages WHERE delivered = 0 ORDER BY id').all() as Row[]).map(toMessage);
  }
  async conversation(peer: string, limit = 1000) {
    return (this.s.get('SELECT * FROM (SELECT * FROM messages WHERE peer = ? ORDER BY id DESC LIMIT ?) ORDER BY id').all(peer, limit) as Row[]).map(toMessage);
  }
  async markRead(peer: string, upToId: number, now: number) {
    const rows = this.s
      .get(`UPDATE messages SET read_at = ? WHERE peer = ? AND direction = 'in' AND read_at IS NULL AND id <= ? RETURNING *`)
      .all(now, peer, upToId) as Row[];
    return rows.map(toMessage).sort((a, b) => a.id - b.id);
  }
  async remove(ids: readonly number[]) {
    let removed = 0;
    this.s.atomic(() => {
      for (const id of new Set(ids)) {
        const m = this.s.get('DELETE FROM messages WHERE id = ? RETURNING direction, timestamp').get(id) as Row | undefined;
        if (m === undefined) continue;
        // The sent log keeps a sent message's plaintext for resends (24 h; the recipients' copy and our
        // devices' sync transcript): every entry of its timestamp goes too.
        if (m.direction === 'out') this.s.get('DELETE FROM sent_log WHERE timestamp = ?').run(m.timestamp);
        removed++;
      }
    });
    if (removed > 0) {
      if (this.s.db.inTransaction) this.s.scrubAfterCommit = true;
      else truncateWal(this.s.db);
    }
    return removed;
  }
  async recent(limit: number, since: number) {
    return (this.s.get('SELECT * FROM (SELECT * FROM messages WHERE timestamp >= ? ORDER BY id DESC LIMIT ?) ORDER BY id').all(since, limit) as Row[]).map(toMessage);
  }
  async count(direction?: MessageDirection) {
    const r =
      direction === undefined
        ? (this.s.get('SELECT COUNT(*) AS n FROM messages').get() as Row)
        : (this.s.get('SELECT COUNT(*) AS n FROM messages WHERE direction = ?').get(direction) as Row);
    return Number(r.n);
  }
  async isProcessed(envelopeId: string) {
    return this.s.get('SELECT 1 FROM processed_envelopes WHERE envelope_id = ?').get(envelopeId) !== undefined;
  }
  async markProcessed(envelopeId: string, now: number) {
    this.s.get('INSERT OR IGNORE INTO processed_envelopes (envelope_id, processed_at) VALUES (?, ?)').run(envelopeId, now);
  }
  async replaceContent(id: number, content: Uint8Array) {
    this.s.get('UPDATE messages SET content = ? WHERE id = ?').run(content, id);
    this.s.scrubAfterCommit = true;
  }
  async findByRef(peer: string, author: string, timestamp: number) {
    const r = this.s.get('SELECT * FROM messages WHERE peer = ? AND sender_account = ? AND timestamp = ? ORDER BY id LIMIT 1').get(peer, author, timestamp) as Row | undefined;
    return r === undefined ? undefined : toMessage(r);
  }
}

class SqliteOutbox implements OutboxStore {
  constructor(private readonly s: Statements) {}
  async add(e: OutboxEntry) {
    this.s
      .get('INSERT INTO outbox (batch_id, account, device, registration_id, envelope, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.batchId, e.recipient.account, e.recipient.device, e.registrationId, e.envelope, e.createdAt);
  }
  async batches() {
    const batches = new Map<string, OutboxEntry[]>();
    for (const r of this.s.get('SELECT * FROM outbox ORDER BY seq').all() as Row[]) {
      const batchId = String(r.batch_id);
      let list = batches.get(batchId);
      if (list === undefined) batches.set(batchId, (list = []));
      list.push({
        batchId,
        recipient: { account: String(r.account), device: Number(r.device) },
        registrationId: Number(r.registration_id),
        envelope: bytes(r.envelope),
        createdAt: Number(r.created_at),
      });
    }
    return [...batches.values()];
  }
  async removeBatch(batchId: string) {
    this.s.get('DELETE FROM outbox WHERE batch_id = ?').run(batchId);
  }
  async park(batchId: string, m: NewMessage) {
    this.s
      .get(
        `INSERT INTO pending_sent (batch_id, peer, sender_account, sender_device, timestamp, content, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (batch_id) DO UPDATE SET peer = excluded.peer, sender_account = excluded.sender_account, sender_device = excluded.sender_device,
           timestamp = excluded.timestamp, content = excluded.content, stored_at = excluded.stored_at`,
      )
      .run(batchId, m.peer, m.sender.account, m.sender.device, m.timestamp, m.content, m.storedAt);
  }
  async takeParked(batchId: string): Promise<NewMessage | undefined> {
    return this.s.atomic(() => {
      const r = this.s.get('SELECT * FROM pending_sent WHERE batch_id = ?').get(batchId) as Row | undefined;
      if (r === undefined) return undefined;
      this.s.get('DELETE FROM pending_sent WHERE batch_id = ?').run(batchId);
      return {
        direction: 'out' as const,
        peer: String(r.peer),
        sender: { account: String(r.sender_account), device: Number(r.sender_device) },
        timestamp: Number(r.timestamp),
        content: bytes(r.content),
        envelopeId: undefined,
        storedAt: Number(r.stored_at),
        delivered: true,
      };
    });
  }
}

class SqliteSettings implements SettingsStore {
  constructor(private readonly s: Statements) {}
  async get(key: string) {
    const r = this.s.get('SELECT value FROM settings WHERE key = ?').get(key) as Row | undefined;
    return r === undefined ? undefined : String(r.value);
  }
  async set(key: string, value: string) {
    this.s.get('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}

class SqliteContacts implements ContactStore {
  constructor(private readonly s: Statements) {}
  async get(account: string): Promise<Contact | undefined> {
    const r = this.s.get('SELECT * FROM contacts WHERE account = ?').get(account) as Row | undefined;
    return r === undefined ? undefined : { account: String(r.account), profileKey: bytes(r.profile_key), updatedAt: Number(r.updated_at) };
  }
  async set(c: Contact) {
    this.s
      .get('INSERT INTO contacts (account, profile_key, updated_at) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET profile_key = excluded.profile_key, updated_at = excluded.updated_at')
      .run(c.account, c.profileKey, c.updatedAt);
  }
}

/** Every role over `statements`' connection. */
export function sqliteRoles(statements: Statements): StoreRoles {
  return {
    sessions: new SqliteSessions(statements),
    identities: new SqliteIdentities(statements),
    preKeys: new SqlitePreKeys(statements, 'ec'),
    signedPreKeys: new SqlitePreKeys(statements, 'signed'),
    kyberPreKeys: new SqliteKyberPreKeys(statements),
    history: new SqliteHistory(statements),
    outbox: new SqliteOutbox(statements),
    settings: new SqliteSettings(statements),
    contacts: new SqliteContacts(statements),
    quarantine: new SqliteQuarantine(statements),
    sentLog: new SqliteSentLog(statements),
    groups: new SqliteGroups(statements),
    senderKeys: new SqliteSenderKeys(statements),
    receipts: new SqliteReceipts(statements),
    edits: new SqliteEdits(statements),
    expirations: new SqliteExpirations(statements),
    conversations: new SqliteConversations(statements),
    kt: new SqliteKt(statements),
  };
}
