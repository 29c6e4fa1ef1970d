/** The SQL of `PostgresEnvelopeStore` (schema in pg-schema.ts), one statement per entry. */
export const PG_SQL = {
  /** One enqueue (function `relay_enqueue`, pg-schema.ts): returns (envelope_id, envelope_seq) per row. */
  enqueue: 'SELECT envelope_id, envelope_seq FROM relay_enqueue($1::text[], $2::int[], $3::text[], $4::bytea[], $5::int[], $6::int[], $7::bytea[], $8::int[], $9, $10, $11, $12)',
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
  /** One acknowledgement (function `relay_ack`): returns how many of the ids existed. */
  ack: 'SELECT relay_ack($1, $2, $3::text[]) AS n',
  depth: 'SELECT count(*)::int AS n FROM relay_envelopes WHERE account_id = $1 AND device_id = $2 AND expires_at > $3',
  /** Deletes up to $2 expired envelopes and lowers their devices' counters; returns how many. */
  expire: `
    WITH gone AS (DELETE FROM relay_envelopes WHERE (account_id, device_id, seq) IN (
                    SELECT account_id, device_id, seq FROM relay_envelopes WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)
                  RETURNING account_id, device_id, size),
    per_device AS (SELECT account_id, device_id, count(*)::int AS n, sum(size)::bigint AS b FROM gone GROUP BY account_id, device_id),
    d AS (UPDATE relay_queue_depths q SET n = q.n - p.n, bytes = q.bytes - p.b FROM per_device p WHERE q.account_id = p.account_id AND q.device_id = p.device_id)
    SELECT count(*)::int AS n FROM gone`,
  /** Up to $2 expired shared payloads (they expire with their views, which are never served once expired). */
  expireShared: 'DELETE FROM relay_shared_payloads WHERE id IN (SELECT id FROM relay_shared_payloads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)',
  /** Account deletion, step 1: its envelopes, releasing their shared payloads; returns how many and which payloads. */
  deleteAccountEnvelopes: `
    WITH gone AS (DELETE FROM relay_envelopes WHERE account_id = $1 RETURNING shared_id),
    dec AS (SELECT shared_id AS sid, count(*)::int AS c FROM gone WHERE shared_id IS NOT NULL GROUP BY shared_id),
    upd AS (UPDATE relay_shared_payloads s SET refs = s.refs - dec.c FROM dec WHERE s.id = dec.sid RETURNING s.id)
    SELECT (SELECT count(*)::int FROM gone) AS n, (SELECT array_agg(id) FROM upd) AS shared`,
  /** ... and the payloads no envelope references any more (a second statement: one row may not change twice in one). */
  deleteUnreferencedShared: 'DELETE FROM relay_shared_payloads WHERE id = ANY($1::bigint[]) AND refs <= 0',
  /** Step 2: its queue counters, access-key hash and send-budget buckets (`<budget>:<account> <source>`, limits/). */
  deleteAccountDepths: 'DELETE FROM relay_queue_depths WHERE account_id = $1',
  deleteAccountKey: 'DELETE FROM relay_access_keys WHERE account_id = $1',
  deleteAccountBuckets: "DELETE FROM relay_rate_buckets WHERE key LIKE '%:' || $1 || ' %'",
  getKey: 'SELECT key_hash FROM relay_access_keys WHERE account_id = $1',
  setKey: 'INSERT INTO relay_access_keys (account_id, key_hash) VALUES ($1, $2) ON CONFLICT (account_id) DO UPDATE SET key_hash = excluded.key_hash',
} as const;
