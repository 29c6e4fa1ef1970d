/**
 * PostgreSQL errors the relay's stores treat specially, by SQLSTATE: a full
 * disk (53100) becomes `StorageFullError`; a deadlock (40P01) or
 * serialization failure (40001) — possible when acknowledgements, sweeps
 * and sends of several instances lock rows in different orders — is
 * retried, since the whole transaction was rolled back.
 */
import { StorageFullError } from './envelope-store.ts';

/** The SQLSTATE of a pg error, if it is one. */
export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** PostgreSQL's disk_full. */
export const DISK_FULL = '53100';
const RETRIED = new Set(['40P01', '40001']);

/** Runs `fn` (one whole transaction) again after a deadlock, up to `attempts` times; disk full → `StorageFullError`. */
export async function pgWrite<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const state = sqlState(e);
      if (state === DISK_FULL) throw new StorageFullError({ cause: e });
      if (state === undefined || !RETRIED.has(state) || i >= attempts) throw e;
    }
  }
}
