/**
 * Versioned schema of the SQLite store. Each entry upgrades from version
 * `index` to `index + 1`; the current version lives in `PRAGMA user_version`.
 * Append new migrations; never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  // 0 -> 1: initial schema.
  `
  CREATE TABLE local_account (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    identity_private BLOB NOT NULL,
    identity_public BLOB NOT NULL,
    registration_id INTEGER NOT NULL,
    account TEXT,
    device INTEGER,
    device_secret TEXT,
    profile_key BLOB
  );
  CREATE TABLE identities (
    account TEXT PRIMARY KEY,
    identity_key BLOB NOT NULL,
    trusted_at INTEGER NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE sessions (
    account TEXT NOT NULL,
    device INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (account, device)
  );
  CREATE TABLE prekeys (
    kind TEXT NOT NULL CHECK (kind IN ('ec', 'signed', 'kyber')),
    id INTEGER NOT NULL,
    record BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    last_resort INTEGER NOT NULL DEFAULT 0,
    replaced_at INTEGER,
    PRIMARY KEY (kind, id)
  );
  CREATE TABLE prekey_counters (
    kind TEXT PRIMARY KEY,
    next_id INTEGER NOT NULL
  );
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    peer TEXT NOT NULL,
    sender_account TEXT NOT NULL,
    sender_device INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    content BLOB NOT NULL,
    envelope_id TEXT UNIQUE,
    stored_at INTEGER NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX messages_peer ON messages (peer, id);
  CREATE INDEX messages_undelivered ON messages (delivered) WHERE delivered = 0;
  CREATE TABLE processed_envelopes (
    envelope_id TEXT PRIMARY KEY,
    processed_at INTEGER NOT NULL
  );
  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT NOT NULL,
    account TEXT NOT NULL,
    device INTEGER NOT NULL,
    registration_id INTEGER NOT NULL,
    envelope BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX outbox_batch ON outbox (batch_id);
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 1 -> 2: the history row of a message being sent, committed with the relay's acceptance.
  `
  CREATE TABLE pending_sent (
    batch_id TEXT PRIMARY KEY,
    peer TEXT NOT NULL,
    sender_account TEXT NOT NULL,
    sender_device INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    content BLOB NOT NULL,
    stored_at INTEGER NOT NULL
  );
  `,
];
