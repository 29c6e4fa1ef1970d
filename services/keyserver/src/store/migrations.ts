/**
 * Versioned schema migrations for the SQLite key store, run by the kit's
 * runner (`PRAGMA user_version`, one transaction per step). Add new ones at
 * the end, never edit an applied one. `schema_migrations` keeps a readable
 * history (version, name, when) next to `user_version`, which is what
 * counts.
 */
import type Database from 'better-sqlite3';
import { migrateSqlite, type MigrationReport, type SqliteMigration } from '@sealpost/service-kit/sqlite-migrations';

/** The key store's migrations, in order. */
export const MIGRATIONS: readonly SqliteMigration<Database.Database>[] = [
  {
    version: 1,
    name: 'accounts, devices, prekeys, provisioning codes',
    up: `
      CREATE TABLE accounts (
        account_id   TEXT PRIMARY KEY,
        identity_key BLOB NOT NULL,
        created_at   INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE devices (
        account_id      TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
        device_id       INTEGER NOT NULL,
        registration_id INTEGER NOT NULL,
        secret_hash     BLOB NOT NULL,
        created_at      INTEGER NOT NULL,
        PRIMARY KEY (account_id, device_id)
      ) WITHOUT ROWID;

      -- EC signed prekeys and Kyber last-resort keys: the current one per
      -- (device, kind) has replaced_at NULL; replaced ones stay for a grace period.
      CREATE TABLE signed_prekeys (
        account_id  TEXT NOT NULL,
        device_id   INTEGER NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('ec', 'kyber')),
        key_id      INTEGER NOT NULL,
        public_key  BLOB NOT NULL,
        signature   BLOB NOT NULL,
        created_at  INTEGER NOT NULL,
        replaced_at INTEGER,
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      );
      CREATE UNIQUE INDEX signed_prekeys_current
        ON signed_prekeys(account_id, device_id, kind) WHERE replaced_at IS NULL;
      CREATE INDEX signed_prekeys_replaced ON signed_prekeys(replaced_at) WHERE replaced_at IS NOT NULL;

      -- One-time prekeys waiting to be handed out. Rows are small on purpose:
      -- handing a key out deletes one of them (one b-tree page written), while
      -- the 1.6 KB Kyber key material lives in one_time_key_material and is
      -- deleted later in batches (see SqliteKeyStore.flushConsumed).
      CREATE TABLE one_time_prekeys (
        account_id  TEXT NOT NULL,
        device_id   INTEGER NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('ec', 'kyber')),
        key_id      INTEGER NOT NULL,
        material_id INTEGER NOT NULL,
        PRIMARY KEY (account_id, device_id, kind, key_id),
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      ) WITHOUT ROWID;

      -- Public key and signature of a one-time prekey (signature NULL for EC keys,
      -- which libsignal does not sign). Rows no one_time_prekeys row points to are garbage.
      CREATE TABLE one_time_key_material (
        material_id INTEGER PRIMARY KEY,
        public_key  BLOB NOT NULL,
        signature   BLOB
      );

      CREATE TABLE provisioning_codes (
        code_hash  BLOB PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'per-account device-id high-water mark (device ids are never reused)',
    // Accounts made before this migration may have reused ids already; from here on the next id is
    // one above the highest ever handed out (for existing accounts: above the highest present now).
    up: `
      ALTER TABLE accounts ADD COLUMN next_device_id INTEGER NOT NULL DEFAULT 2;
      UPDATE accounts SET next_device_id = COALESCE(
        (SELECT MAX(device_id) + 1 FROM devices WHERE devices.account_id = accounts.account_id), 2);
      UPDATE accounts SET next_device_id = 2 WHERE next_device_id < 2;
      CREATE INDEX provisioning_codes_account ON provisioning_codes(account_id, expires_at);
    `,
  },
  {
    version: 3,
    name: 'tombstones of deleted accounts (ids never re-issued)',
    up: `
      CREATE TABLE deleted_accounts (
        account_id TEXT PRIMARY KEY,
        deleted_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'key transparency: log entries, label versions, VRF proof cache, checkpoints, pending updates, handles',
    // Only kt_versions (and handles, the directory itself) hold labels, values or account ids: the
    // log (kt_entries) holds timestamps and prefix roots, kt_checkpoints signed roots, kt_vrf_next VRF
    // proofs keyed by VRF outputs. kt_pending rows
    // live from an account's creation until the sequencer logs them (deleted in the same transaction).
    up: `
      CREATE TABLE kt_entries (
        position     INTEGER PRIMARY KEY,
        timestamp_ms INTEGER NOT NULL,
        prefix_root  BLOB NOT NULL
      );
      CREATE TABLE kt_versions (
        label      BLOB NOT NULL,
        version    INTEGER NOT NULL,
        position   INTEGER NOT NULL,
        opening    BLOB NOT NULL,
        value      BLOB NOT NULL,
        vrf_proof  BLOB NOT NULL,
        search_key BLOB NOT NULL,
        commitment BLOB NOT NULL,
        PRIMARY KEY (label, version)
      ) WITHOUT ROWID;
      CREATE INDEX kt_versions_position ON kt_versions(position);
      -- The VRF proof of the next (absent) version of a label, keyed by the search key (VRF output)
      -- of its current greatest version: no label here, and VRF outputs are public (prefix tree).
      CREATE TABLE kt_vrf_next (
        after_key  BLOB PRIMARY KEY,
        proof      BLOB NOT NULL,
        search_key BLOB NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE kt_checkpoints (
        size         INTEGER PRIMARY KEY,
        note         TEXT NOT NULL,
        cosignatures TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE kt_pending (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        label       BLOB NOT NULL,
        value       BLOB NOT NULL,
        enqueued_ms INTEGER NOT NULL
      );
      CREATE TABLE handles (
        handle     TEXT PRIMARY KEY,
        account_id TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

/**
 * Applies every migration newer than the database's version. Databases made
 * before the kit runner recorded their version only in `schema_migrations`;
 * such a file is adopted at that version first.
 */
export function migrate(db: Database.Database, migrations: readonly SqliteMigration<Database.Database>[] = MIGRATIONS): MigrationReport {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const recorded = db.prepare('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() as number;
  if (recorded > 0 && (db.pragma('user_version', { simple: true }) as number) === 0) db.pragma(`user_version = ${recorded}`);
  const record = db.prepare('INSERT OR IGNORE INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  return migrateSqlite(db, migrations, { onApplied: (m) => void record.run(m.version, m.name, Date.now()) });
}
