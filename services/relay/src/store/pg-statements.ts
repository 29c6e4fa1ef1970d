/** The SQL of `PostgresEnvelopeStore` (schema in pg-schema.ts), one statement per entry. */
export const PG_SQL = {
  /** Adds a batch to the devices' depth counters, locking them in key order; returns the new totals. */
  reserve: `
    INSERT INTO relay_queue_depths AS q (account_id, device_id, n, bytes)
    SELECT a, d, n, b FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[]) AS t(a, d, n, b) ORDER BY a, d
    ON CONFLICT (account_id, device_id) DO UPDATE SET n = q.n + excluded.n, bytes = q.bytes + excluded.bytes
    RETURNING account_id, device_id, n, bytes`,
  insertShared: `
    INSERT INTO relay_shared_payloads (id, content, refs, expires_at)
    VALUES (nextval('relay_shared_payload_id'), $1, $2, $3) RETURNING id`,
  /** Rows in input order (ordinality), so `seq` increases in that order. */
  insertEnvelopes: `
    INSERT INTO relay_envelopes (account_id, device_id, seq, id, content, shared_id, size, received_at, expires_at)
    SELECT a, d, nextval('relay_envelope_seq'), i, c, s, z, $7, $8
      FROM unnest($1::text[], $2::int[], $3::text[], $4::bytea[], $5::bigint[], $6::int[]) WITH ORDINALITY AS t(a, d, i, c, s, z, o)
    RETURNING id, seq`,
  /** A window of one device queue; `$6` (bytes, or null for no bound) keeps the prefix that fits, the first row always. */
  pending: `
    SELECT seq, id, content, shared_id, received_at FROM (
      SELECT w.*, sum(w.size) OVER (ORDER BY w.seq ROWS UNBOUNDED PRECEDING) AS total, row_number() OVER (ORDER BY w.seq) AS rn
        FROM (SELECT seq, id, content, shared_id, size, received_at FROM relay_envelopes
               WHERE account_id = $1 AND device_id = $2 AND expires_at > $3 AND seq > $4 ORDER BY seq LIMIT $5) w
    ) x
    WHERE rn = 1 OR $6::bigint IS NULL OR total <= $6::bigint
    ORDER BY seq`,
  shared: 'SELECT id, content FROM relay_shared_payloads WHERE id = ANY($1::bigint[])',
  /** Deletes envelopes of one device and lowers its counters; returns how many and the shared payloads they referenced. */
  ack: `
    WITH gone AS (DELETE FROM relay_envelopes WHERE account_id = $1 AND device_id = $2 AND id = ANY($3::text[]) RETURNING size, shared_id),
    t AS (SELECT count(*)::int AS n, COALESCE(sum(size), 0)::bigint AS bytes FROM gone),
    d AS (UPDATE relay_queue_depths q SET n = q.n - t.n, bytes = q.bytes - t.bytes FROM t WHERE q.account_id = $1 AND q.device_id = $2 AND t.n > 0)
    SELECT t.n, (SELECT array_agg(shared_id) FROM gone WHERE shared_id IS NOT NULL) AS shared FROM t`,
  /** Drops one reference per listed id (repeats count); returns the payloads no view references any more. */
  releaseShared: `
    WITH dec AS (SELECT id, count(*)::int AS c FROM unnest($1::bigint[]) AS u(id) GROUP BY id),
    upd AS (UPDATE relay_shared_payloads s SET refs = s.refs - dec.c FROM dec WHERE s.id = dec.id RETURNING s.id, s.refs)
    SELECT id FROM upd WHERE refs <= 0`,
  deleteShared: 'DELETE FROM relay_shared_payloads WHERE id = ANY($1::bigint[])',
  depth: 'SELECT count(*)::int AS n FROM relay_envelopes WHERE account_id = $1 AND device_id = $2 AND expires_at > $3',
  /** Deletes expired envelopes and lowers their devices' counters; returns how many. */
  expire: `
    WITH gone AS (DELETE FROM relay_envelopes WHERE expires_at <= $1 RETURNING account_id, device_id, size),
    per_device AS (SELECT account_id, device_id, count(*)::int AS n, sum(size)::bigint AS b FROM gone GROUP BY account_id, device_id),
    d AS (UPDATE relay_queue_depths q SET n = q.n - p.n, bytes = q.bytes - p.b FROM per_device p WHERE q.account_id = p.account_id AND q.device_id = p.device_id)
    SELECT count(*)::int AS n FROM gone`,
  expireShared: 'DELETE FROM relay_shared_payloads WHERE expires_at <= $1',
  getKey: 'SELECT key_hash FROM relay_access_keys WHERE account_id = $1',
  setKey: 'INSERT INTO relay_access_keys (account_id, key_hash) VALUES ($1, $2) ON CONFLICT (account_id) DO UPDATE SET key_hash = excluded.key_hash',
} as const;
