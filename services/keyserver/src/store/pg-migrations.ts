/**
 * Versioned schema migrations for the PostgreSQL key store, run by the
 * service kit's `migratePostgres` (component `keyserver`: history in
 * `keyserver_schema_migrations`, one advisory-locked transaction per step,
 * so instances starting together apply each step once). Add new steps at the
 * end, never edit an applied one.
 *
 * Sharding (Citus-style, distribution column `account_id`): every table an
 * account owns has `account_id` as the LEADING column of its primary key,
 * and foreign keys between them include it, so all of one account's rows
 * co-locate and every per-account statement routes to one shard.
 * `provisioning_codes` is looked up by code hash when a device links (the
 * code is all the new device knows): under Citus that one lookup fans out
 * to all shards; it is rare (a device link) and the hash is 128 random bits.
 * The `keyserver_*` tables hold state shared by instances (rate-limit
 * buckets, spent registration ids, the proof-of-work key); they are owned by
 * no account (distribute the rate limits by `key`, keep the other two local).
 *
 * Times are ms since the epoch in `bigint` (as the SQLite store), key ids
 * `bigint` (libsignal ids are u32).
 */
import type { PgMigration } from '@sealpost/service-kit/postgres';

/** The migration component name (version table `keyserver_schema_migrations`). */
export const PG_COMPONENT = 'keyserver';

/** The PostgreSQL key store's migrations, in order. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'accounts, devices, prekeys, provisioning codes; shared limiter, spent-id and secret tables',
    up: `
      CREATE TABLE accounts (
        account_id     text PRIMARY KEY,
        identity_key   bytea NOT NULL,
        created_at     bigint NOT NULL,
        -- one above the highest device id ever handed out: ids are never reused
        next_device_id integer NOT NULL DEFAULT 2
      );

      CREATE TABLE devices (
        account_id      text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
        device_id       integer NOT NULL,
        registration_id integer NOT NULL,
        secret_hash     bytea NOT NULL,
        created_at      bigint NOT NULL,
        PRIMARY KEY (account_id, device_id)
      );

      -- EC signed prekeys and Kyber last-resort keys: the current one per
      -- (device, kind) has replaced_at NULL; replaced ones stay for a grace period.
      CREATE TABLE signed_prekeys (
        account_id  text NOT NULL,
        device_id   integer NOT NULL,
        seq         bigint GENERATED ALWAYS AS IDENTITY,
        kind        text NOT NULL CHECK (kind IN ('ec', 'kyber')),
        key_id      bigint NOT NULL,
        public_key  bytea NOT NULL,
        signature   bytea NOT NULL,
        created_at  bigint NOT NULL,
        replaced_at bigint,
        PRIMARY KEY (account_id, device_id, seq),
        FOREIGN KEY (account_id, device_id) REFERENCES devices (account_id, device_id) ON DELETE CASCADE
      );
      CREATE UNIQUE INDEX signed_prekeys_current ON signed_prekeys (account_id, device_id, kind) WHERE replaced_at IS NULL;
      CREATE INDEX signed_prekeys_replaced ON signed_prekeys (replaced_at) WHERE replaced_at IS NOT NULL;

      -- One-time prekeys waiting to be handed out, with their material
      -- (signature NULL for EC keys, which libsignal does not sign). Unlike
      -- SQLite, a DELETE here only marks the tuple dead (MVCC), so the 1.6 KB
      -- Kyber keys need no table of their own to keep a hand-out cheap.
      CREATE TABLE one_time_prekeys (
        account_id text NOT NULL,
        device_id  integer NOT NULL,
        kind       text NOT NULL CHECK (kind IN ('ec', 'kyber')),
        key_id     bigint NOT NULL,
        public_key bytea NOT NULL,
        signature  bytea,
        PRIMARY KEY (account_id, device_id, kind, key_id),
        FOREIGN KEY (account_id, device_id) REFERENCES devices (account_id, device_id) ON DELETE CASCADE
      );

      CREATE TABLE provisioning_codes (
        account_id text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
        code_hash  bytea NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (account_id, code_hash)
      );
      CREATE INDEX provisioning_codes_hash ON provisioning_codes (code_hash);
      CREATE INDEX provisioning_codes_expiry ON provisioning_codes (expires_at);

      -- Leaky buckets shared by all instances (pg-rate-limiter.ts).
      CREATE TABLE keyserver_rate_limits (
        limiter    text NOT NULL,
        key        text NOT NULL,
        permits    double precision NOT NULL,
        updated_at bigint NOT NULL,
        granted    boolean NOT NULL,
        PRIMARY KEY (limiter, key)
      );

      -- Spent registration-token ids and proof-of-work challenges (pg-spent-set.ts).
      CREATE TABLE keyserver_spent_ids (
        scope      text NOT NULL,
        id         text NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (scope, id)
      );
      CREATE INDEX keyserver_spent_ids_expiry ON keyserver_spent_ids (expires_at);

      -- Secrets every instance must share (the proof-of-work HMAC key).
      CREATE TABLE keyserver_secrets (
        name  text PRIMARY KEY,
        value bytea NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'tombstones of deleted accounts (ids never re-issued)',
    up: `
      CREATE TABLE deleted_accounts (
        account_id text PRIMARY KEY,
        deleted_at bigint NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'key transparency: log entries, label versions, VRF proof cache, checkpoints, pending updates, handles',
    // The SQLite store's migration 4 on PostgreSQL (kt/pg-kt-store.ts). Here, not in a migration
    // set of their own: account creation writes kt_pending in the account's transaction. Only
    // kt_versions and handles hold labels, values or account ids. The log is one per database and
    // owned by no account: under Citus keep these tables local (or reference tables), not distributed.
    // kt_entries.position is the primary key and the sequencer inserts position = max + 1 only
    // (pg-kt-store.ts appendBatch), so two processes that both think they lead cannot fork the log.
    up: `
      CREATE TABLE kt_entries (
        position     bigint PRIMARY KEY CHECK (position >= 0),
        timestamp_ms bigint NOT NULL,
        prefix_root  bytea NOT NULL
      );
      CREATE TABLE kt_versions (
        label      bytea NOT NULL,
        version    integer NOT NULL,
        position   bigint NOT NULL,
        opening    bytea NOT NULL,
        value      bytea NOT NULL,
        vrf_proof  bytea NOT NULL,
        search_key bytea NOT NULL,
        commitment bytea NOT NULL,
        PRIMARY KEY (label, version)
      );
      CREATE INDEX kt_versions_position ON kt_versions (position);
      CREATE TABLE kt_vrf_next (
        after_key  bytea PRIMARY KEY,
        proof      bytea NOT NULL,
        search_key bytea NOT NULL
      );
      CREATE TABLE kt_checkpoints (
        size         bigint PRIMARY KEY,
        note         text NOT NULL,
        cosignatures text NOT NULL DEFAULT ''
      );
      CREATE TABLE kt_pending (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        label       bytea NOT NULL,
        value       bytea NOT NULL,
        enqueued_ms bigint NOT NULL
      );
      CREATE TABLE handles (
        handle     text PRIMARY KEY,
        account_id text NOT NULL UNIQUE,
        created_at bigint NOT NULL
      );
    `,
  },
];
