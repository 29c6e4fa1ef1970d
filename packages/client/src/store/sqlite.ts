/**
 * SQLite implementation of `ClientStore` (better-sqlite3, WAL).
 *
 * `transaction()` uses `BEGIN IMMEDIATE`: the write lock is taken before the
 * session record is read, so two processes (or two client instances) on one
 * database file can never both read the same record and both write a step on
 * top of it. `busy_timeout` makes the second one wait instead of failing.
 */
import Database from 'better-sqlite3';
import { ClientError } from '../errors.ts';
import { MIGRATIONS } from './migrations.ts';
import {
  MAX_PREKEY_ID,
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

/** Options of `SqliteStore`. */
export interface SqliteStoreOptions {
  /** How long to wait for another connection's write lock, ms (default 10 s). */
  busyTimeoutMs?: number;
}

type Row = Record<string, unknown>;

const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Buffer);
const optionalBytes = (v: unknown): Uint8Array | undefined => (v === null || v === undefined ? undefined : bytes(v));

function toMessage(r: Row): StoredMessage {
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

/** A `ClientStore` in one SQLite file (or `:memory:`). */
export class SqliteStore implements ClientStore {
  readonly db: Database.Database;
  readonly #stmts = new Map<string, Database.Statement>();

  /** Opens (creating if needed) the database at `path` and migrates it. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed ratchet step survives power loss, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    this.db.pragma('foreign_keys = ON');
    this.#migrate();
  }

  #migrate(): void {
    const migrate = this.db.transaction(() => {
      const version = Number(this.db.pragma('user_version', { simple: true }));
      if (version > MIGRATIONS.length) {
        throw new ClientError('STORE_VERSION', `database schema version ${version} is newer than this SDK (${MIGRATIONS.length})`);
      }
      for (let v = version; v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      }
    });
    migrate.immediate();
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** Schema version (PRAGMA user_version). */
  get schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  transaction<T>(fn: () => T): T {
    // better-sqlite3 turns a nested call into a savepoint, so nesting joins the outer transaction.
    return this.db.transaction(fn).immediate();
  }

  getLocalAccount(): LocalAccount | undefined {
    const r = this.#stmt('SELECT * FROM local_account WHERE singleton = 1').get() as Row | undefined;
    if (r === undefined) return undefined;
    const out: LocalAccount = {
      identityPrivateKey: bytes(r.identity_private),
      identityPublicKey: bytes(r.identity_public),
      registrationId: Number(r.registration_id),
    };
    if (r.account !== null) out.account = String(r.account);
    if (r.device !== null) out.device = Number(r.device);
    if (r.device_secret !== null) out.deviceSecret = String(r.device_secret);
    const profileKey = optionalBytes(r.profile_key);
    if (profileKey !== undefined) out.profileKey = profileKey;
    return out;
  }

  setLocalAccount(a: LocalAccount): void {
    this.#stmt(
      `INSERT INTO local_account (singleton, identity_private, identity_public, registration_id, account, device, device_secret, profile_key)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET identity_private = excluded.identity_private, identity_public = excluded.identity_public,
         registration_id = excluded.registration_id, account = excluded.account, device = excluded.device,
         device_secret = excluded.device_secret, profile_key = excluded.profile_key`,
    ).run(a.identityPrivateKey, a.identityPublicKey, a.registrationId, a.account ?? null, a.device ?? null, a.deviceSecret ?? null, a.profileKey ?? null);
  }

  getTrustedIdentity(account: string): TrustedIdentity | undefined {
    const r = this.#stmt('SELECT * FROM identities WHERE account = ?').get(account) as Row | undefined;
    if (r === undefined) return undefined;
    return { identityKey: bytes(r.identity_key), trustedAt: Number(r.trusted_at), verified: r.verified === 1 };
  }

  setTrustedIdentity(account: string, identityKey: Uint8Array, now: number, verified = false): void {
    this.#stmt(
      `INSERT INTO identities (account, identity_key, trusted_at, verified) VALUES (?, ?, ?, ?)
       ON CONFLICT (account) DO UPDATE SET identity_key = excluded.identity_key, trusted_at = excluded.trusted_at, verified = excluded.verified`,
    ).run(account, identityKey, now, verified ? 1 : 0);
  }

  loadSession(a: DeviceAddress): Uint8Array | undefined {
    const r = this.#stmt('SELECT record FROM sessions WHERE account = ? AND device = ?').get(a.account, a.device) as Row | undefined;
    return r === undefined ? undefined : bytes(r.record);
  }

  storeSession(a: DeviceAddress, record: Uint8Array): void {
    this.#stmt('INSERT INTO sessions (account, device, record) VALUES (?, ?, ?) ON CONFLICT (account, device) DO UPDATE SET record = excluded.record').run(
      a.account,
      a.device,
      record,
    );
  }

  deleteSession(a: DeviceAddress): void {
    this.#stmt('DELETE FROM sessions WHERE account = ? AND device = ?').run(a.account, a.device);
  }

  sessionDevices(account: string): number[] {
    return (this.#stmt('SELECT device FROM sessions WHERE account = ? ORDER BY device').all(account) as Row[]).map((r) => Number(r.device));
  }

  storePreKey(k: StoredPreKey): void {
    this.#stmt(
      `INSERT INTO prekeys (kind, id, record, created_at, last_resort, replaced_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET record = excluded.record, created_at = excluded.created_at,
         last_resort = excluded.last_resort, replaced_at = excluded.replaced_at`,
    ).run(k.kind, k.id, k.record, k.createdAt, k.lastResort ? 1 : 0, k.replacedAt ?? null);
  }

  loadPreKey(kind: PreKeyKind, id: number): StoredPreKey | undefined {
    const r = this.#stmt('SELECT * FROM prekeys WHERE kind = ? AND id = ?').get(kind, id) as Row | undefined;
    return r === undefined ? undefined : toPreKey(r);
  }

  removePreKey(kind: PreKeyKind, id: number): void {
    this.#stmt('DELETE FROM prekeys WHERE kind = ? AND id = ?').run(kind, id);
  }

  listPreKeys(kind: PreKeyKind): StoredPreKey[] {
    return (this.#stmt('SELECT * FROM prekeys WHERE kind = ? ORDER BY created_at, id').all(kind) as Row[]).map(toPreKey);
  }

  markPreKeyReplaced(kind: PreKeyKind, id: number, replacedAt: number): void {
    this.#stmt('UPDATE prekeys SET replaced_at = ? WHERE kind = ? AND id = ? AND replaced_at IS NULL').run(replacedAt, kind, id);
  }

  allocatePreKeyIds(kind: PreKeyKind, count: number): number[] {
    return this.transaction(() => {
      const r = this.#stmt('SELECT next_id FROM prekey_counters WHERE kind = ?').get(kind) as Row | undefined;
      let next = r === undefined ? 1 : Number(r.next_id);
      const inUse = this.#stmt('SELECT 1 FROM prekeys WHERE kind = ? AND id = ?');
      const ids: number[] = [];
      let scanned = 0;
      while (ids.length < count) {
        if (++scanned > MAX_PREKEY_ID) throw new ClientError('INVALID_DATA', `no free ${kind} prekey ids left`);
        if (inUse.get(kind, next) === undefined) ids.push(next);
        next = next >= MAX_PREKEY_ID ? 1 : next + 1;
      }
      this.#stmt('INSERT INTO prekey_counters (kind, next_id) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET next_id = excluded.next_id').run(kind, next);
      return ids;
    });
  }

  addMessage(m: NewMessage): number {
    const info = this.#stmt(
      `INSERT INTO messages (direction, peer, sender_account, sender_device, timestamp, content, envelope_id, stored_at, delivered)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(m.direction, m.peer, m.sender.account, m.sender.device, m.timestamp, m.content, m.envelopeId ?? null, m.storedAt, m.delivered ? 1 : 0);
    return Number(info.lastInsertRowid);
  }

  markDelivered(id: number): void {
    this.#stmt('UPDATE messages SET delivered = 1 WHERE id = ?').run(id);
  }

  getMessage(id: number): StoredMessage | undefined {
    const r = this.#stmt('SELECT * FROM messages WHERE id = ?').get(id) as Row | undefined;
    return r === undefined ? undefined : toMessage(r);
  }

  undeliveredMessages(): StoredMessage[] {
    return (this.#stmt(`SELECT * FROM messages WHERE delivered = 0 ORDER BY id`).all() as Row[]).map(toMessage);
  }

  conversation(peer: string, limit = 1000): StoredMessage[] {
    const rows = this.#stmt('SELECT * FROM (SELECT * FROM messages WHERE peer = ? ORDER BY id DESC LIMIT ?) ORDER BY id').all(peer, limit) as Row[];
    return rows.map(toMessage);
  }

  messageCount(direction?: MessageDirection): number {
    const r =
      direction === undefined
        ? (this.#stmt('SELECT COUNT(*) AS n FROM messages').get() as Row)
        : (this.#stmt('SELECT COUNT(*) AS n FROM messages WHERE direction = ?').get(direction) as Row);
    return Number(r.n);
  }

  isEnvelopeProcessed(envelopeId: string): boolean {
    return this.#stmt('SELECT 1 FROM processed_envelopes WHERE envelope_id = ?').get(envelopeId) !== undefined;
  }

  markEnvelopeProcessed(envelopeId: string, now: number): void {
    this.#stmt('INSERT OR IGNORE INTO processed_envelopes (envelope_id, processed_at) VALUES (?, ?)').run(envelopeId, now);
  }

  addOutbox(e: OutboxEntry): void {
    this.#stmt('INSERT INTO outbox (batch_id, account, device, registration_id, envelope, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      e.batchId,
      e.recipient.account,
      e.recipient.device,
      e.registrationId,
      e.envelope,
      e.createdAt,
    );
  }

  outboxBatches(): OutboxEntry[][] {
    const rows = this.#stmt('SELECT * FROM outbox ORDER BY seq').all() as Row[];
    const batches = new Map<string, OutboxEntry[]>();
    for (const r of rows) {
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

  removeOutboxBatch(batchId: string): void {
    this.#stmt('DELETE FROM outbox WHERE batch_id = ?').run(batchId);
  }

  setPendingSent(batchId: string, m: NewMessage): void {
    this.#stmt(
      `INSERT INTO pending_sent (batch_id, peer, sender_account, sender_device, timestamp, content, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (batch_id) DO UPDATE SET peer = excluded.peer, sender_account = excluded.sender_account, sender_device = excluded.sender_device,
         timestamp = excluded.timestamp, content = excluded.content, stored_at = excluded.stored_at`,
    ).run(batchId, m.peer, m.sender.account, m.sender.device, m.timestamp, m.content, m.storedAt);
  }

  takePendingSent(batchId: string): NewMessage | undefined {
    const r = this.#stmt('SELECT * FROM pending_sent WHERE batch_id = ?').get(batchId) as Row | undefined;
    if (r === undefined) return undefined;
    this.#stmt('DELETE FROM pending_sent WHERE batch_id = ?').run(batchId);
    return {
      direction: 'out',
      peer: String(r.peer),
      sender: { account: String(r.sender_account), device: Number(r.sender_device) },
      timestamp: Number(r.timestamp),
      content: bytes(r.content),
      envelopeId: undefined,
      storedAt: Number(r.stored_at),
      delivered: true,
    };
  }

  getSetting(key: string): string | undefined {
    const r = this.#stmt('SELECT value FROM settings WHERE key = ?').get(key) as Row | undefined;
    return r === undefined ? undefined : String(r.value);
  }

  setSetting(key: string, value: string): void {
    this.#stmt('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
