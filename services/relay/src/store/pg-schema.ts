/**
 * The relay's PostgreSQL schema, as versioned steps for the service kit's
 * advisory-locked runner (component `relay`, table
 * `relay_schema_migrations`). Append new steps; never edit an applied one.
 *
 * Every table a device's traffic touches leads its primary key with
 * `account_id`, so the tables can be distributed by it (Citus-style): one
 * device's queue, depth counter and access key live on one shard. Shared
 * payloads of multi-recipient sends belong to many accounts at once; they
 * are keyed by their own id and read by primary key after the views (no
 * cross-shard join). Rate-limit buckets are keyed by their bucket key.
 *
 * Envelope contents are sealed (incompressible): stored EXTERNAL, so
 * PostgreSQL does not try to compress them.
 */
import type { PgMigration } from '@sealpost/service-kit/postgres';

/** The component name of the relay's migrations (and of its version table). */
export const RELAY_PG_COMPONENT = 'relay';

export const RELAY_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'envelope queues, depth counters, shared payloads, access keys',
    up: `
      CREATE SEQUENCE relay_envelope_seq;
      CREATE SEQUENCE relay_shared_payload_id;
      CREATE TABLE relay_envelopes (
        account_id text NOT NULL,
        device_id integer NOT NULL,
        seq bigint NOT NULL,
        id text NOT NULL,
        content bytea NOT NULL,
        shared_id bigint,
        size integer NOT NULL,
        received_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (account_id, device_id, seq),
        UNIQUE (account_id, device_id, id)
      );
      ALTER TABLE relay_envelopes ALTER COLUMN content SET STORAGE EXTERNAL;
      CREATE INDEX relay_envelopes_by_expiry ON relay_envelopes (expires_at);
      CREATE TABLE relay_queue_depths (
        account_id text NOT NULL,
        device_id integer NOT NULL,
        n integer NOT NULL,
        bytes bigint NOT NULL,
        PRIMARY KEY (account_id, device_id)
      );
      CREATE TABLE relay_shared_payloads (
        id bigint PRIMARY KEY,
        content bytea NOT NULL,
        refs integer NOT NULL,
        expires_at bigint NOT NULL
      );
      ALTER TABLE relay_shared_payloads ALTER COLUMN content SET STORAGE EXTERNAL;
      CREATE INDEX relay_shared_payloads_by_expiry ON relay_shared_payloads (expires_at);
      CREATE TABLE relay_access_keys (
        account_id text PRIMARY KEY,
        key_hash bytea NOT NULL
      );`,
  },
  {
    version: 2,
    name: 'send budgets (token buckets) shared by every instance',
    up: `
      CREATE TABLE relay_rate_buckets (
        key text PRIMARY KEY,
        tokens double precision NOT NULL,
        at bigint NOT NULL,
        capacity double precision NOT NULL,
        per_ms double precision NOT NULL
      );
      -- One charge: keys distinct. Returns each take's wait (ms; 0 = available); takes all or none.
      CREATE FUNCTION relay_take_buckets(keys text[], capacities float8[], rates float8[], costs float8[], now_ms bigint)
      RETURNS float8[] LANGUAGE plpgsql AS $fn$
      DECLARE
        waits float8[];
      BEGIN
        -- Missing buckets are created full, the others refilled to now; every row stays locked (key order).
        INSERT INTO relay_rate_buckets AS b (key, tokens, at, capacity, per_ms)
        SELECT k, c, now_ms, c, p FROM unnest(keys, capacities, rates) AS t(k, c, p) ORDER BY k
        ON CONFLICT (key) DO UPDATE SET
          tokens = LEAST(excluded.capacity, b.tokens + GREATEST(0, excluded.at - b.at) * excluded.per_ms),
          at = GREATEST(b.at, excluded.at), capacity = excluded.capacity, per_ms = excluded.per_ms;
        SELECT array_agg(CASE WHEN b.tokens >= r.n THEN 0
                              WHEN r.p <= 0 OR r.n > r.c THEN 'Infinity'::float8
                              ELSE ceil((r.n - b.tokens) / r.p) END ORDER BY r.o)
          INTO waits
          FROM unnest(keys, costs, capacities, rates) WITH ORDINALITY AS r(k, n, c, p, o)
          JOIN relay_rate_buckets b ON b.key = r.k;
        IF EXISTS (SELECT 1 FROM unnest(waits) AS w(x) WHERE w.x > 0) THEN
          RETURN waits;
        END IF;
        UPDATE relay_rate_buckets b SET tokens = b.tokens - r.n FROM unnest(keys, costs) AS r(k, n) WHERE b.key = r.k;
        RETURN waits;
      END
      $fn$;`,
  },
];
