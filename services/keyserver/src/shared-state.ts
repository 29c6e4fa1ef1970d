/**
 * The state that must be one across instances: rate-limit buckets, spent
 * registration-token ids and proof-of-work challenges, and the
 * proof-of-work HMAC key. `processState` keeps it in this process (the
 * SQLite deployment: one instance per database); `postgresState` keeps it in
 * the key store's PostgreSQL database, so a client spreading requests over
 * instances meets one limit, one spent set and one challenge key.
 *
 * Everything else an instance keeps in memory is safe per process: the
 * identity-key cache (identity keys never change), the sender-certificate
 * cache (served only to a device that just authenticated against the
 * database, bound to its registration id and identity key; device ids are
 * never reused), the bundle batcher's queue (one turn of this process's own
 * requests). See the README, "Several instances".
 */
import type pg from 'pg';
import { randomBytes } from '@sealpost/protocol/primitives';
import { PostgresRateLimiter } from './pg-rate-limiter.ts';
import { PostgresSpentSet, pruneSpentIds } from './pg-spent-set.ts';
import { RateLimiter, type RateLimit, type RateLimitStore } from './rate-limiter.ts';
import type { SpentIds } from './spent-set.ts';
import { storeError } from './store/pg-errors.ts';

/** Where an instance keeps what several instances must agree on. */
export interface SharedState {
  /** Whether the state is shared with other instances. */
  readonly shared: boolean;
  /** The limiter called `name` (the same name means the same buckets on every instance); undefined when `limit` is false. */
  limiter(name: string, limit: RateLimit | false): RateLimitStore | undefined;
  /** Spent ids of one scope; undefined: the caller's own bounded in-memory set. */
  spentIds: ((scope: string) => SpentIds) | undefined;
  /** HMAC key of proof-of-work challenges; undefined: a random key of this process. */
  proofOfWorkKey: Uint8Array | undefined;
  /** Drops expired entries (prune timer). */
  prune(now: number): Promise<void>;
}

/** State kept in this process: bounded in-memory limiters (`maxKeys` buckets each). */
export function processState(maxKeys: number): SharedState {
  return {
    shared: false,
    limiter: (_name, limit) => (limit === false ? undefined : new RateLimiter(limit, maxKeys)),
    spentIds: undefined,
    proofOfWorkKey: undefined,
    prune: async () => undefined,
  };
}

const POW_KEY_NAME = 'proof-of-work-hmac-key';

/** The proof-of-work key every instance on the database uses (made by whichever instance asks first). */
async function sharedSecret(pool: pg.Pool, name: string): Promise<Uint8Array> {
  await pool.query('INSERT INTO keyserver_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, Buffer.from(randomBytes(32))]);
  const { rows } = await pool.query<{ value: Buffer }>('SELECT value FROM keyserver_secrets WHERE name = $1', [name]);
  return new Uint8Array(rows[0]!.value);
}

/** State in the key store's PostgreSQL database (tables made by the key store's migrations). */
export async function postgresState(pool: pg.Pool): Promise<SharedState> {
  let proofOfWorkKey: Uint8Array;
  try {
    proofOfWorkKey = await sharedSecret(pool, POW_KEY_NAME);
  } catch (e) {
    throw storeError(e);
  }
  return {
    shared: true,
    limiter: (name, limit) => (limit === false ? undefined : new PostgresRateLimiter(pool, name, limit)),
    spentIds: (scope) => new PostgresSpentSet(pool, scope),
    proofOfWorkKey,
    prune: (now) => pruneSpentIds(pool, now),
  };
}
