/**
 * Versioned schema migrations for the SQLite key store. Each migration runs
 * once, inside a transaction, and is recorded in `schema_migrations`; add new
 * ones at the end, never edit an applied one.
 */
import type Database from 'better-sqlite3';

/** One schema step. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The key store's migrations, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, devices, prekeys, provisioning codes',
    sql: `
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
];

/** Applies every migration newer than the database's recorded version. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }).immediate();
  }
  return Math.max(current, ...migrations.map((m) => m.version));
}
