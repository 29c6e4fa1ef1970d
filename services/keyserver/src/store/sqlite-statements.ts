/**
 * Opening the key store's SQLite file (WAL, foreign keys, busy timeout,
 * migrations) and the prepared statements every part of `SqliteKeyStore`
 * shares, with the row shapes they return.
 */
import Database from 'better-sqlite3';
import type { SignedPreKey } from './key-store.ts';
import { migrate } from './migrations.ts';

/** A row of `signed_prekeys` as the current-key and history reads return it. */
export interface SignedRow {
  key_id: number;
  public_key: Buffer;
  signature: Buffer;
}

/** A one-time key that just left `one_time_prekeys`. */
export interface TakenKey {
  key_id: number;
  material_id: number;
}

/** A row of `one_time_key_material`. */
export interface MaterialRow {
  material_id: number;
  public_key: Buffer;
  signature: Buffer | null;
}

/** A view of SQLite's bytes without copying. */
export function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A signed-key row as the store's type. */
export function signedKey(row: SignedRow): SignedPreKey {
  return { keyId: row.key_id, publicKey: bytes(row.public_key), signature: bytes(row.signature) };
}

/** Opens (creating if needed) and migrates the database at `path` (a file or ':memory:'). */
export function openKeyDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('secure_delete = ON'); // deleted rows (kt_pending labels once logged, spent prekeys) are zeroed, not left in free space
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/**
 * A prepared statement. An interface of our own so that the emitted .d.ts can
 * name it (better-sqlite3's `Statement` lives in an unexported namespace, and
 * `.pluck()` returns `this`).
 */
export interface Statement extends Database.Statement {}

/** Every statement the store runs. */
export function prepareStatements(db: Database.Database) {
  const prepare = (sql: string): Statement => db.prepare(sql);
  return {
    insertAccount: prepare('INSERT OR IGNORE INTO accounts (account_id, identity_key, created_at) VALUES (?, ?, ?)'),
    insertKtPending: prepare('INSERT INTO kt_pending (label, value, enqueued_ms) VALUES (?, ?, ?)'),
    insertDevice: prepare('INSERT INTO devices (account_id, device_id, registration_id, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)'),
    identityKey: prepare('SELECT identity_key FROM accounts WHERE account_id = ?').pluck(),
    credentials: prepare('SELECT registration_id, secret_hash FROM devices WHERE account_id = ? AND device_id = ?'),
    devices: prepare('SELECT device_id, registration_id, created_at FROM devices WHERE account_id = ? ORDER BY device_id'),
    deviceIds: prepare('SELECT device_id FROM devices WHERE account_id = ? ORDER BY device_id').pluck(),
    accountExists: prepare('SELECT 1 FROM accounts WHERE account_id = ?').pluck(),
    insertCode: prepare('INSERT INTO provisioning_codes (code_hash, account_id, expires_at) VALUES (?, ?, ?)'),
    countCodes: prepare('SELECT COUNT(*) FROM provisioning_codes WHERE account_id = ? AND expires_at > ?').pluck(),
    oldestCodeExpiry: prepare('SELECT MIN(expires_at) FROM provisioning_codes WHERE account_id = ? AND expires_at > ?').pluck(),
    nextDeviceId: prepare('SELECT next_device_id FROM accounts WHERE account_id = ?').pluck(),
    setNextDeviceId: prepare('UPDATE accounts SET next_device_id = ? WHERE account_id = ?'),
    peekCode: prepare('SELECT account_id FROM provisioning_codes WHERE code_hash = ? AND expires_at > ?').pluck(),
    takeCode: prepare('DELETE FROM provisioning_codes WHERE code_hash = ? RETURNING account_id, expires_at'),
    deleteDevice: prepare('DELETE FROM devices WHERE account_id = ? AND device_id = ?'),
    // Account deletion: material first (nothing cascades to it), then the account row (devices,
    // prekeys and provisioning codes cascade), then the tombstone.
    deleteAccountMaterial: prepare(
      'DELETE FROM one_time_key_material WHERE material_id IN (SELECT material_id FROM one_time_prekeys WHERE account_id = ?)',
    ),
    deleteAccountSigned: prepare('DELETE FROM signed_prekeys WHERE account_id = ?'),
    deleteAccount: prepare('DELETE FROM accounts WHERE account_id = ?'),
    insertTombstone: prepare('INSERT OR IGNORE INTO deleted_accounts (account_id, deleted_at) VALUES (?, ?)'),
    tombstone: prepare('SELECT 1 FROM deleted_accounts WHERE account_id = ?').pluck(),
    currentSigned: prepare(
      'SELECT key_id, public_key, signature FROM signed_prekeys WHERE account_id = ? AND device_id = ? AND kind = ? AND replaced_at IS NULL',
    ),
    retireSigned: prepare(
      'UPDATE signed_prekeys SET replaced_at = ? WHERE account_id = ? AND device_id = ? AND kind = ? AND replaced_at IS NULL',
    ),
    insertSigned: prepare(
      'INSERT INTO signed_prekeys (account_id, device_id, kind, key_id, public_key, signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    signedHistory: prepare(
      `SELECT kind, key_id, public_key, signature, created_at, replaced_at FROM signed_prekeys
       WHERE account_id = ? AND device_id = ? ORDER BY (replaced_at IS NULL) DESC, created_at DESC, rowid DESC`,
    ),
    oneTimeExists: prepare('SELECT 1 FROM one_time_prekeys WHERE account_id = ? AND device_id = ? AND kind = ? AND key_id = ?').pluck(),
    insertMaterial: prepare('INSERT INTO one_time_key_material (public_key, signature) VALUES (?, ?)'),
    insertOneTime: prepare('INSERT INTO one_time_prekeys (account_id, device_id, kind, key_id, material_id) VALUES (?, ?, ?, ?, ?)'),
    deleteMaterialRange: prepare('DELETE FROM one_time_key_material WHERE material_id BETWEEN ? AND ?'),
    deleteDeviceMaterial: prepare(
      'DELETE FROM one_time_key_material WHERE material_id IN (SELECT material_id FROM one_time_prekeys WHERE account_id = ? AND device_id = ?)',
    ),
    sweepMaterial: prepare('DELETE FROM one_time_key_material WHERE material_id NOT IN (SELECT material_id FROM one_time_prekeys)'),
    countOneTime: prepare('SELECT COUNT(*) FROM one_time_prekeys WHERE account_id = ? AND device_id = ? AND kind = ?').pluck(),
    takeOneTimeBatch: prepare(
      `DELETE FROM one_time_prekeys
       WHERE account_id = @account AND device_id = @device AND kind = @kind AND key_id <= COALESCE((
         SELECT key_id FROM one_time_prekeys WHERE account_id = @account AND device_id = @device AND kind = @kind
         ORDER BY key_id LIMIT 1 OFFSET @n - 1), 9007199254740991)
       RETURNING key_id, material_id`,
    ),
    materialRange: prepare('SELECT material_id, public_key, signature FROM one_time_key_material WHERE material_id BETWEEN ? AND ?'),
    pruneSigned: prepare('DELETE FROM signed_prekeys WHERE replaced_at IS NOT NULL AND replaced_at < ?'),
    pruneCodes: prepare('DELETE FROM provisioning_codes WHERE expires_at <= ?'),
  };
}

/** The prepared statements. */
export type Statements = ReturnType<typeof prepareStatements>;
