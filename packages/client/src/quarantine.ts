/**
 * The quarantine: envelopes this device could not process are kept in the
 * store (role `quarantine`) instead of being dropped, so an app can list,
 * retry or delete them, and the client retries them itself after the
 * sender's session was re-established and on `start()`.
 *
 * Bounded: at most `maxEntries` envelopes and `maxBytes` of envelope bytes;
 * putting one more evicts the oldest (by first quarantine time) until both
 * bounds hold — inside the same transaction, so the store never holds more.
 * An evicted envelope is reported as an `error` event (code
 * `QUARANTINE_EVICTED` in its message) and is gone.
 */
import type { QuarantinedEnvelope, StoreTransaction } from './store/types.ts';

/** Bounds of the quarantine. */
export interface QuarantineLimits {
  /** Most envelopes kept (default 1000). */
  maxEntries: number;
  /** Most envelope bytes kept (default 16 MiB). */
  maxBytes: number;
  /** Automatic retries stop after this many failed attempts (manual `retryQuarantined` still works; default 5). */
  maxAutoAttempts: number;
}

/** Default bounds. */
export const DEFAULT_QUARANTINE_LIMITS: QuarantineLimits = { maxEntries: 1000, maxBytes: 16 * 1024 * 1024, maxAutoAttempts: 5 };

/** Why an envelope failed, in the form the quarantine keeps it. */
export function failureOf(error: unknown): { reason: string; detail: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.name : 'UNKNOWN';
  const detail = error instanceof Error ? error.message : String(error);
  return { reason, detail: detail.slice(0, 500) };
}

/**
 * Puts `entry` into the quarantine inside `tx`, then evicts the oldest
 * entries until the bounds hold (never the one just put, unless it alone
 * breaks `maxBytes`). Returns the evicted envelope ids.
 */
export async function quarantineEnvelope(tx: StoreTransaction, entry: Omit<QuarantinedEnvelope, 'attempts'>, limits: QuarantineLimits): Promise<string[]> {
  await tx.quarantine.put(entry);
  let { count, bytes } = await tx.quarantine.totals();
  if (count <= limits.maxEntries && bytes <= limits.maxBytes) return [];
  const evicted: string[] = [];
  for (const old of await tx.quarantine.list()) {
    if (count <= limits.maxEntries && bytes <= limits.maxBytes) break;
    if (old.envelopeId === entry.envelopeId && count === 1) break;
    await tx.quarantine.remove(old.envelopeId);
    evicted.push(old.envelopeId);
    count--;
    bytes -= old.content.length;
  }
  return evicted;
}
