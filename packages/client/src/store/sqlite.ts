/**
 * SQLite implementation of `ClientStore` (better-sqlite3, WAL).
 *
 * better-sqlite3 is synchronous and has one transaction per connection, so
 * the async `transaction()` is built like this: a connection-level FIFO lock
 * (`SerialQueue`) admits one transaction at a time; inside it `BEGIN
 * IMMEDIATE` takes the database write lock *before* the session record is
 * read, the async callback runs, and `COMMIT` (or `ROLLBACK` if it rejected)
 * ends it. Two processes (or two client instances) on one file therefore can
 * never both read the same record and both write a step on top of it —
 * `busy_timeout` makes the second one wait — and two async transactions on
 * one connection never interleave. Role calls made outside a transaction
 * take the same lock, so they never land inside someone else's transaction.
 *
 * Importing this module pulls in better-sqlite3; it is reached through
 * `@sealpost/client/sqlite`, not the package root.
 */
import { migrateSqlite, SchemaTooNewError, sqlMigrations } from '@sealpost/service-kit/sqlite-migrations';
import type Database from 'better-sqlite3';
import { ClientError } from '../errors.ts';
import { BASE64_DECODE_FUNCTION, MIGRATIONS } from './migrations.ts';
import { openClientDatabase, restrictCompanionFiles } from './sqlite-open.ts';
import { SerialQueue, serialRoles } from './serial.ts';
import { sqliteRoles, Statements, truncateWal } from './sqlite-roles.ts';
import { registerSearchTextFunction } from '../conversations/sqlite-schema.ts';
import type { ClientStore, ContactStore, HistoryStore, IdentityStore, KyberPreKeyStore, OneTimePreKeyStore, OutboxStore, SessionStore, SettingsStore, SignedPreKeyStore, StoreRoles, StoreTransaction } from './types.ts';
import type { EditStore, ExpirationStore, GroupStore, QuarantineStore, ReceiptStore, SenderKeyStore, SentLogStore } from './types.ts';
import type { ConversationStore } from '../conversations/store-types.ts';
import type { KtStore } from './kt-types.ts';

/** Options of `SqliteStore`. */
export interface SqliteStoreOptions {
  /** How long to wait for another connection's write lock, ms (default 10 s). */
  busyTimeoutMs?: number;
  /**
   * 32-byte key the app supplies (e.g. from the OS keychain): the file is
   * encrypted at rest (SQLCipher v4 format, optional dependency
   * better-sqlite3-multiple-ciphers; see sqlite-open.ts). A wrong key fails
   * with `ClientError('STORE_KEY')`. Absent: a plain SQLite file (mode 0600).
   */
  encryptionKey?: Uint8Array;
}

/** A `ClientStore` in one SQLite file (or `:memory:`). */
export class SqliteStore implements ClientStore {
  readonly db: Database.Database;
  readonly #queue = new SerialQueue();
  readonly #roles: StoreRoles;
  readonly #statements: Statements;
  readonly sessions: SessionStore;
  readonly identities: IdentityStore;
  readonly preKeys: OneTimePreKeyStore;
  readonly signedPreKeys: SignedPreKeyStore;
  readonly kyberPreKeys: KyberPreKeyStore;
  readonly history: HistoryStore;
  readonly outbox: OutboxStore;
  readonly settings: SettingsStore;
  readonly contacts: ContactStore;
  readonly quarantine: QuarantineStore;
  readonly sentLog: SentLogStore;
  readonly groups: GroupStore;
  readonly senderKeys: SenderKeyStore;
  readonly receipts: ReceiptStore;
  readonly edits: EditStore;
  readonly expirations: ExpirationStore;
  readonly conversations: ConversationStore;
  readonly kt: KtStore;

  /** Opens (creating if needed, mode 0600) the database at `path` and migrates it. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.db = openClientDatabase(path, { encryptionKey: options.encryptionKey });
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed ratchet step survives power loss, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    this.db.pragma('foreign_keys = ON');
    // Deleted and overwritten content (delete for everyone, disappearing messages) is zeroed in the file, not only unlinked.
    this.db.pragma('secure_delete = ON');
    this.db.function(BASE64_DECODE_FUNCTION, { deterministic: true }, (text: unknown) => Buffer.from(String(text), 'base64'));
    registerSearchTextFunction(this.db); // conversations: the search triggers' text function
    this.#migrate();
    restrictCompanionFiles(path);
    this.#statements = new Statements(this.db);
    this.#roles = sqliteRoles(this.#statements);
    const serial = serialRoles(this.#roles, this.#queue);
    this.sessions = serial.sessions;
    this.identities = serial.identities;
    this.preKeys = serial.preKeys;
    this.signedPreKeys = serial.signedPreKeys;
    this.kyberPreKeys = serial.kyberPreKeys;
    this.history = serial.history;
    this.outbox = serial.outbox;
    this.settings = serial.settings;
    this.contacts = serial.contacts;
    this.quarantine = serial.quarantine;
    this.sentLog = serial.sentLog;
    this.groups = serial.groups;
    this.senderKeys = serial.senderKeys;
    this.receipts = serial.receipts;
    this.edits = serial.edits;
    this.expirations = serial.expirations;
    this.conversations = serial.conversations;
    this.kt = serial.kt;
  }

  #migrate(): void {
    try {
      migrateSqlite(this.db, sqlMigrations(MIGRATIONS, 'client store'));
    } catch (e) {
      if (e instanceof SchemaTooNewError) throw new ClientError('STORE_VERSION', `database schema version ${e.databaseVersion} is newer than this SDK (${e.knownVersion})`, { cause: e });
      throw e;
    }
  }

  /** Schema version (PRAGMA user_version). */
  get schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      let out: T;
      try {
        out = await fn(this.#roles);
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        this.#statements.scrubAfterCommit = false;
        throw e;
      }
      try {
        this.db.exec('COMMIT');
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      } finally {
        this.#scrubWal();
      }
      return out;
    });
  }

  /** After plaintext was overwritten: copy the WAL into the (secure_delete) file and truncate it, so no old page image of it stays on disk. */
  #scrubWal(): void {
    if (!this.#statements.scrubAfterCommit) return;
    this.#statements.scrubAfterCommit = false;
    if (!this.db.inTransaction) truncateWal(this.db);
  }

  close(): Promise<void> {
    return this.#queue.run(() => {
      if (this.db.open) this.db.close();
    });
  }
}
