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
  {
    version: 3,
    name: 'enqueue and acknowledgement as one statement each',
    up: `
      -- One enqueue: reserves every device's depth (rows locked in key order to the end of the statement),
      -- refuses over a limit with SQLSTATE P0001 'relay queue full' (DETAIL: account, device, limit as JSON),
      -- stores the shared payloads once and the envelopes in input order; returns (id, seq) per envelope.
      CREATE FUNCTION relay_enqueue(p_accounts text[], p_devices int[], p_ids text[], p_contents bytea[], p_shared_ix int[], p_sizes int[],
                                    p_shared bytea[], p_shared_refs int[], p_received_at bigint, p_expires_at bigint, p_max_depth int, p_max_bytes bigint)
      RETURNS TABLE (envelope_id text, envelope_seq bigint) LANGUAGE plpgsql AS $fn$
      DECLARE
        v_full record;
        v_shared_ids bigint[];
      BEGIN
        WITH t AS (SELECT a, d, count(*)::int AS n, sum(z)::bigint AS b FROM unnest(p_accounts, p_devices, p_sizes) AS u(a, d, z) GROUP BY a, d ORDER BY a, d),
        r AS (INSERT INTO relay_queue_depths AS q (account_id, device_id, n, bytes) SELECT a, d, n, b FROM t ORDER BY a, d
              ON CONFLICT (account_id, device_id) DO UPDATE SET n = q.n + excluded.n, bytes = q.bytes + excluded.bytes
              RETURNING q.account_id, q.device_id, q.n, q.bytes)
        SELECT r.account_id, r.device_id, CASE WHEN r.n > p_max_depth THEN 'envelopes' ELSE 'bytes' END AS lim INTO v_full
          FROM r WHERE r.n > p_max_depth OR r.bytes > p_max_bytes ORDER BY r.account_id, r.device_id LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'relay queue full' USING DETAIL = json_build_object('accountId', v_full.account_id, 'deviceId', v_full.device_id, 'limit', v_full.lim)::text;
        END IF;
        v_shared_ids := ARRAY(SELECT nextval('relay_shared_payload_id') FROM generate_subscripts(p_shared, 1));
        INSERT INTO relay_shared_payloads (id, content, refs, expires_at)
          SELECT v_shared_ids[o], p_shared[o], p_shared_refs[o], p_expires_at FROM generate_subscripts(p_shared, 1) AS o;
        RETURN QUERY
          INSERT INTO relay_envelopes AS e (account_id, device_id, seq, id, content, shared_id, size, received_at, expires_at)
          SELECT a, d, nextval('relay_envelope_seq'), i, c, v_shared_ids[x], z, p_received_at, p_expires_at
            FROM unnest(p_accounts, p_devices, p_ids, p_contents, p_shared_ix, p_sizes) WITH ORDINALITY AS u(a, d, i, c, x, z, o)
          RETURNING e.id, e.seq;
      END
      $fn$;
      -- One acknowledgement of a device's envelopes: deletes them, lowers the depth counters, releases
      -- their shared payloads (deleting those no view references any more); returns how many existed.
      CREATE FUNCTION relay_ack(p_account text, p_device int, p_ids text[]) RETURNS int LANGUAGE plpgsql AS $fn$
      DECLARE
        v_n int;
        v_bytes bigint;
        v_shared bigint[];
      BEGIN
        WITH gone AS (DELETE FROM relay_envelopes WHERE account_id = p_account AND device_id = p_device AND id = ANY(p_ids) RETURNING size, shared_id)
        SELECT count(*)::int, COALESCE(sum(size), 0)::bigint, array_agg(shared_id) FILTER (WHERE shared_id IS NOT NULL)
          INTO v_n, v_bytes, v_shared FROM gone;
        IF v_n > 0 THEN
          UPDATE relay_queue_depths SET n = n - v_n, bytes = bytes - v_bytes WHERE account_id = p_account AND device_id = p_device;
        END IF;
        IF v_shared IS NOT NULL THEN
          WITH dec AS (SELECT u.sid, count(*)::int AS c FROM unnest(v_shared) AS u(sid) GROUP BY u.sid)
          UPDATE relay_shared_payloads s SET refs = s.refs - dec.c FROM dec WHERE s.id = dec.sid;
          DELETE FROM relay_shared_payloads WHERE id = ANY(v_shared) AND refs <= 0;
        END IF;
        RETURN v_n;
      END
      $fn$;`,
  },
];
