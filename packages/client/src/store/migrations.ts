/**
 * Versioned schema of the SQLite store. Each entry upgrades from version
 * `index` to `index + 1`; the current version lives in `PRAGMA user_version`.
 * Append new migrations; never edit a released one.
 *
 * Migration 3 uses the SQL function `sealpost_base64_decode`, which
 * `SqliteStore` registers on its connection before migrating.
 */

import { CONVERSATIONS_MIGRATION } from '../conversations/sqlite-schema.ts';
import { KT_MIGRATION } from './sqlite-kt-roles.ts';

/** SQL function the migrations may call: standard base64 text to a BLOB. */
export const BASE64_DECODE_FUNCTION = 'sealpost_base64_decode';
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
  // 2 -> 3: contacts' profile keys in their own table (they were settings strings),
  // and the record of last-resort Kyber prekey uses that refuses replays.
  `
  CREATE TABLE contacts (
    account TEXT PRIMARY KEY,
    profile_key BLOB NOT NULL,
    updated_at INTEGER NOT NULL
  );
  INSERT OR REPLACE INTO contacts (account, profile_key, updated_at)
    SELECT substr(key, 20), sealpost_base64_decode(value), 0 FROM settings WHERE key LIKE 'contact.profileKey.%';
  DELETE FROM settings WHERE key LIKE 'contact.profileKey.%';
  CREATE TABLE kyber_prekey_uses (
    kyber_id INTEGER NOT NULL,
    signed_id INTEGER NOT NULL,
    base_key BLOB NOT NULL,
    PRIMARY KEY (kyber_id, signed_id, base_key)
  );
  `,
  // 3 -> 4: envelopes that could not be decrypted (kept, not dropped), and the
  // recently sent messages a decryption-error message may ask to resend.
  `
  CREATE TABLE quarantine (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    envelope_id TEXT NOT NULL UNIQUE,
    content BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    quarantined_at INTEGER NOT NULL,
    sender_account TEXT,
    sender_device INTEGER,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    attempts INTEGER NOT NULL
  );
  CREATE TABLE sent_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    device INTEGER NOT NULL,
    ratchet_key BLOB NOT NULL,
    timestamp INTEGER NOT NULL,
    content BLOB NOT NULL,
    sent_at INTEGER NOT NULL,
    resends INTEGER NOT NULL
  );
  CREATE INDEX sent_log_recipient ON sent_log (account, device, ratchet_key);
  CREATE INDEX sent_log_sent_at ON sent_log (sent_at);
  `,
  // 4 -> 5: groups (record per group, log of signed changes) and sender-key records.
  `
  CREATE TABLE groups (
    group_id TEXT PRIMARY KEY,
    epoch INTEGER NOT NULL,
    change BLOB NOT NULL,
    distribution_id TEXT,
    distribution_created_at INTEGER,
    shared_with TEXT NOT NULL,
    conflict_epoch INTEGER,
    conflict_hash BLOB,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE group_changes (
    group_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    change BLOB NOT NULL,
    PRIMARY KEY (group_id, epoch)
  );
  CREATE TABLE sender_keys (
    account TEXT NOT NULL,
    device INTEGER NOT NULL,
    distribution_id TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (account, device, distribution_id)
  );
  `,
  // 5 -> 6: read state of received messages (conversations, receipts and disappearing timers build on it).
  `
  ALTER TABLE messages ADD COLUMN read_at INTEGER;
  CREATE INDEX messages_unread ON messages (peer, id) WHERE read_at IS NULL AND direction = 'in';
  `,
  // 6 -> 7 (issue 18, receipts): per-recipient-device status of our own messages, and delivery receipts still to send.
  `
  CREATE TABLE receipt_status (
    author TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    account TEXT NOT NULL,
    device INTEGER NOT NULL,
    delivered_at INTEGER,
    read_at INTEGER,
    PRIMARY KEY (author, timestamp, account, device)
  );
  CREATE TABLE receipt_pending (
    author TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    message_id TEXT,
    queued_at INTEGER NOT NULL,
    PRIMARY KEY (author, timestamp)
  );
  CREATE INDEX receipt_pending_queued ON receipt_pending (queued_at, author, timestamp);
  `,
  // 7 -> 8 (issue 18, edit): earlier versions of edited messages, and the index edits and deletes find their target by.
  `
  CREATE TABLE message_edits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    content BLOB NOT NULL,
    edit_timestamp INTEGER NOT NULL,
    replaced_at INTEGER NOT NULL
  );
  CREATE INDEX message_edits_message ON message_edits (message_id, seq);
  CREATE INDEX messages_ref ON messages (peer, sender_account, timestamp);
  `,
  // 8 -> 9 (issue 18, disappearing): disappearing messages — each conversation's
  // timer and the messages' scheduled deletions (a row deleted with its message).
  `
  CREATE TABLE conversation_timers (
    peer TEXT PRIMARY KEY,
    seconds INTEGER NOT NULL,
    version INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE expirations (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX expirations_at ON expirations (expires_at, message_id);
  `,
  // 9 -> 10 (issue 18, conversations): per-conversation summaries and the FTS5 search index, kept by triggers.
  CONVERSATIONS_MIGRATION,
  // 10 -> 11 (issue 15, key transparency): the verifier's state (one row) and the evidence found.
  KT_MIGRATION,
];
