/**
 * The SQLite schema of the envelope store, as ordered migrations applied by
 * the service kit's `PRAGMA user_version` runner. Append new steps; never
 * edit an applied one.
 */

/** Migration i brings the database from version i to i + 1. */
export const ENVELOPE_STORE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE envelopes (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     account_id TEXT NOT NULL,
     device_id INTEGER NOT NULL,
     content BLOB NOT NULL,
     received_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX envelopes_by_device ON envelopes (account_id, device_id, seq);
   CREATE INDEX envelopes_by_expiry ON envelopes (expires_at);
   CREATE TABLE access_keys (
     account_id TEXT PRIMARY KEY,
     key_hash BLOB NOT NULL
   );`,
  // Queue depths kept by triggers, so the per-send limit check is O(1) even
  // when a queue is nearly full (a COUNT would scan it on every send).
  `CREATE TABLE queue_depths (
     account_id TEXT NOT NULL,
     device_id INTEGER NOT NULL,
     n INTEGER NOT NULL,
     PRIMARY KEY (account_id, device_id)
   ) WITHOUT ROWID;
   INSERT INTO queue_depths (account_id, device_id, n)
     SELECT account_id, device_id, COUNT(*) FROM envelopes GROUP BY account_id, device_id;
   CREATE TRIGGER envelopes_depth_insert AFTER INSERT ON envelopes BEGIN
     INSERT INTO queue_depths (account_id, device_id, n) VALUES (NEW.account_id, NEW.device_id, 1)
       ON CONFLICT (account_id, device_id) DO UPDATE SET n = n + 1;
   END;
   CREATE TRIGGER envelopes_depth_delete AFTER DELETE ON envelopes BEGIN
     UPDATE queue_depths SET n = n - 1 WHERE account_id = OLD.account_id AND device_id = OLD.device_id;
   END;`,
  // Queue sizes in bytes next to the counts (per-device byte limit, O(1) per send).
  `ALTER TABLE queue_depths ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
   UPDATE queue_depths SET bytes = (
     SELECT COALESCE(SUM(length(e.content)), 0) FROM envelopes e
      WHERE e.account_id = queue_depths.account_id AND e.device_id = queue_depths.device_id);
   DROP TRIGGER envelopes_depth_insert;
   DROP TRIGGER envelopes_depth_delete;
   CREATE TRIGGER envelopes_depth_insert AFTER INSERT ON envelopes BEGIN
     INSERT INTO queue_depths (account_id, device_id, n, bytes) VALUES (NEW.account_id, NEW.device_id, 1, length(NEW.content))
       ON CONFLICT (account_id, device_id) DO UPDATE SET n = n + 1, bytes = bytes + length(NEW.content);
   END;
   CREATE TRIGGER envelopes_depth_delete AFTER DELETE ON envelopes BEGIN
     UPDATE queue_depths SET n = n - 1, bytes = bytes - length(OLD.content)
      WHERE account_id = OLD.account_id AND device_id = OLD.device_id;
   END;`,
  // Multi-recipient sends (issue 13): a shared payload stored once, each envelope a view of it
  // (content = the device's own bytes, delivered as content ‖ shared). `size` is what the device
  // receives, which the byte limits and poll windows count; a payload goes with its last view.
  `CREATE TABLE shared_payloads (
     id INTEGER PRIMARY KEY,
     content BLOB NOT NULL,
     refs INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX shared_payloads_by_expiry ON shared_payloads (expires_at);
   ALTER TABLE envelopes ADD COLUMN shared_id INTEGER;
   ALTER TABLE envelopes ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
   UPDATE envelopes SET size = length(content);
   DROP TRIGGER envelopes_depth_insert;
   DROP TRIGGER envelopes_depth_delete;
   CREATE TRIGGER envelopes_depth_insert AFTER INSERT ON envelopes BEGIN
     INSERT INTO queue_depths (account_id, device_id, n, bytes) VALUES (NEW.account_id, NEW.device_id, 1, NEW.size)
       ON CONFLICT (account_id, device_id) DO UPDATE SET n = n + 1, bytes = bytes + NEW.size;
   END;
   CREATE TRIGGER envelopes_depth_delete AFTER DELETE ON envelopes BEGIN
     UPDATE queue_depths SET n = n - 1, bytes = bytes - OLD.size
      WHERE account_id = OLD.account_id AND device_id = OLD.device_id;
   END;
   CREATE TRIGGER envelopes_shared_release AFTER DELETE ON envelopes WHEN OLD.shared_id IS NOT NULL BEGIN
     UPDATE shared_payloads SET refs = refs - 1 WHERE id = OLD.shared_id;
     DELETE FROM shared_payloads WHERE id = OLD.shared_id AND refs <= 0;
   END;`,
];
