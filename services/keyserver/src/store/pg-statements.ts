/**
 * The SQL `PostgresKeyStore` runs (pg-key-store.ts, pg-bundle-claims.ts),
 * with the row shapes they return. Every statement names `account_id` in
 * its WHERE clause where a sharded deployment needs it to route (see
 * pg-migrations.ts); `bigint` columns arrive as strings (pg's default) and
 * are converted by the mappers below.
 */
import type { SignedPreKey } from './key-store.ts';

/** A signed-key row (current key or history). */
export interface PgSignedRow {
  key_id: string;
  public_key: Buffer;
  signature: Buffer;
}

/** A one-time key that just left `one_time_prekeys`. */
export interface PgTakenRow {
  account_id: string;
  device_id: number;
  kind: 'ec' | 'kyber';
  key_id: string;
  public_key: Buffer;
  signature: Buffer | null;
}

/** A device with both current long-lived keys (what a bundle needs). */
export interface PgReadyDeviceRow {
  account_id: string;
  device_id: number;
  registration_id: number;
  s_key_id: string;
  s_public_key: Buffer;
  s_signature: Buffer;
  l_key_id: string;
  l_public_key: Buffer;
  l_signature: Buffer;
}

/** A view of pg's Buffer as the store's bytes (pg allocates one Buffer per value, so no copy is needed). */
export function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A bigint column (string) as a number; the values stored (ms times, u32 key ids) are safe integers. */
export function int(v: string | number): number {
  return typeof v === 'number' ? v : Number(v);
}

/** A signed-key row as the store's type. */
export function pgSignedKey(row: { key_id: string; public_key: Buffer; signature: Buffer }): SignedPreKey {
  return { keyId: int(row.key_id), publicKey: bytes(row.public_key), signature: bytes(row.signature) };
}

export const SQL = {
  /** Refused (no row) for an id that exists or was deleted: a deleted account's id is never issued again. */
  insertAccount: `INSERT INTO accounts (account_id, identity_key, created_at)
                  SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM deleted_accounts WHERE account_id = $1)
                  ON CONFLICT (account_id) DO NOTHING RETURNING 1`,
  /** Key transparency: the account label's version 0, queued in the account's transaction (kt/pg-kt-store.ts sequences it). */
  insertKtPending: 'INSERT INTO kt_pending (label, value, enqueued_ms) VALUES ($1, $2, $3)',
  insertDevice: 'INSERT INTO devices (account_id, device_id, registration_id, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)',
  identityKey: 'SELECT identity_key FROM accounts WHERE account_id = $1',
  credentials: 'SELECT registration_id, secret_hash FROM devices WHERE account_id = $1 AND device_id = $2',
  /** Devices in id order plus one row telling whether the account exists (device_id NULL when it has none). */
  devices: `SELECT d.device_id, d.registration_id, d.created_at FROM accounts a LEFT JOIN devices d ON d.account_id = a.account_id
            WHERE a.account_id = $1 ORDER BY d.device_id`,
  lockAccount: 'SELECT next_device_id FROM accounts WHERE account_id = $1 FOR NO KEY UPDATE',
  lockDevice: 'SELECT 1 FROM devices WHERE account_id = $1 AND device_id = $2 FOR NO KEY UPDATE',
  countCodes: 'SELECT count(*)::int AS n, min(expires_at) AS oldest FROM provisioning_codes WHERE account_id = $1 AND expires_at > $2',
  insertCode: 'INSERT INTO provisioning_codes (account_id, code_hash, expires_at) VALUES ($1, $2, $3)',
  peekCode: 'SELECT account_id FROM provisioning_codes WHERE code_hash = $1 AND expires_at > $2',
  takeCode: 'DELETE FROM provisioning_codes WHERE code_hash = $1 RETURNING account_id, expires_at',
  countDevices: 'SELECT count(*)::int AS n FROM devices WHERE account_id = $1',
  setNextDeviceId: 'UPDATE accounts SET next_device_id = $2 WHERE account_id = $1',
  deleteDevice: 'DELETE FROM devices WHERE account_id = $1 AND device_id = $2',
  /** Account deletion: the row lock orders it after links and code requests under way; devices, prekeys and codes cascade. */
  lockAccountForDelete: 'SELECT 1 FROM accounts WHERE account_id = $1 FOR UPDATE',
  deleteAccount: 'DELETE FROM accounts WHERE account_id = $1',
  insertTombstone: 'INSERT INTO deleted_accounts (account_id, deleted_at) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING',
  tombstone: 'SELECT 1 FROM deleted_accounts WHERE account_id = $1',
  /** Rate-limit buckets of the account's devices (`<account>.<device>…`) and of fetches targeting it (`…><account>`). */
  deleteAccountBuckets: "DELETE FROM keyserver_rate_limits WHERE key LIKE $1 || '.%' OR key LIKE '%>' || $1",
  currentSigned: 'SELECT key_id, public_key, signature FROM signed_prekeys WHERE account_id = $1 AND device_id = $2 AND kind = $3 AND replaced_at IS NULL',
  retireSigned: 'UPDATE signed_prekeys SET replaced_at = $4 WHERE account_id = $1 AND device_id = $2 AND kind = $3 AND replaced_at IS NULL',
  insertSigned:
    'INSERT INTO signed_prekeys (account_id, device_id, kind, key_id, public_key, signature, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
  signedHistory: `SELECT kind, key_id, public_key, signature, created_at, replaced_at FROM signed_prekeys
                  WHERE account_id = $1 AND device_id = $2 ORDER BY (replaced_at IS NULL) DESC, created_at DESC, seq DESC`,
  storedOneTimeIds: 'SELECT key_id FROM one_time_prekeys WHERE account_id = $1 AND device_id = $2 AND kind = $3 AND key_id = ANY($4::bigint[])',
  countOneTime: `SELECT count(*) FILTER (WHERE kind = 'ec')::int AS ec, count(*) FILTER (WHERE kind = 'kyber')::int AS kyber
                 FROM one_time_prekeys WHERE account_id = $1 AND device_id = $2`,
  /** Many one-time keys of one device and kind in one statement (arrays of ids, public keys, signatures). */
  insertOneTime: `INSERT INTO one_time_prekeys (account_id, device_id, kind, key_id, public_key, signature)
                  SELECT $1, $2, $3, k.key_id, k.public_key, k.signature FROM unnest($4::bigint[], $5::bytea[], $6::bytea[]) AS k(key_id, public_key, signature)`,
  /** Devices of the given accounts that have both current long-lived keys, with those keys. */
  readyDevices: `SELECT d.account_id, d.device_id, d.registration_id,
                   s.key_id AS s_key_id, s.public_key AS s_public_key, s.signature AS s_signature,
                   l.key_id AS l_key_id, l.public_key AS l_public_key, l.signature AS l_signature
                 FROM devices d
                 JOIN signed_prekeys s ON s.account_id = d.account_id AND s.device_id = d.device_id AND s.kind = 'ec' AND s.replaced_at IS NULL
                 JOIN signed_prekeys l ON l.account_id = d.account_id AND l.device_id = d.device_id AND l.kind = 'kyber' AND l.replaced_at IS NULL
                 WHERE d.account_id = ANY($1::text[])
                 ORDER BY d.account_id, d.device_id`,
  /**
   * Claims one-time keys: for each (account, device, kind, n) the n lowest
   * ids not locked by a concurrent claim (FOR UPDATE SKIP LOCKED), deleted in
   * the same statement. A key can leave only once: its row is locked by the
   * claim that picked it and deleted by that claim.
   */
  claimOneTime: `DELETE FROM one_time_prekeys o
                 WHERE (o.account_id, o.device_id, o.kind, o.key_id) IN (
                   SELECT t.account_id, t.device_id, t.kind, k.key_id
                   FROM unnest($1::text[], $2::int[], $3::text[], $4::int[]) AS t(account_id, device_id, kind, n)
                   CROSS JOIN LATERAL (
                     SELECT i.key_id FROM one_time_prekeys i
                     WHERE i.account_id = t.account_id AND i.device_id = t.device_id AND i.kind = t.kind
                     ORDER BY i.key_id LIMIT t.n FOR UPDATE SKIP LOCKED) k)
                 RETURNING o.account_id, o.device_id, o.kind, o.key_id, o.public_key, o.signature`,
  pruneSigned: 'DELETE FROM signed_prekeys WHERE replaced_at IS NOT NULL AND replaced_at < $1',
  pruneCodes: 'DELETE FROM provisioning_codes WHERE expires_at <= $1',
} as const;
