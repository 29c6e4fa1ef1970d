/**
 * PostgreSQL failures that are the database's condition, not the request's:
 * no connection (refused, dropped, pool exhausted past its timeout, server
 * shutting down), no space (disk full, out of memory, too many connections)
 * or no answer in time (statement timeout). They become a typed 503
 * `STORE_UNAVAILABLE` with Retry-After instead of a 500, so clients retry and
 * nothing untrusted can make them look like server bugs. (The SQLite store
 * maps none: its file is local and its writes are small.) Anything else —
 * constraint violations, bugs — passes through unchanged.
 */
import { KeyServerError } from '../errors.ts';

/** SQLSTATE classes / codes that describe the database's condition. */
const UNAVAILABLE_SQLSTATE_CLASSES = ['08', '53', '57P'];
const STATEMENT_TIMEOUT = '57014';
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
/** pg reports these conditions only by message. */
const UNAVAILABLE_MESSAGES = [/timeout exceeded when trying to connect/i, /Connection terminated/i, /Client has encountered a connection error/i, /connection is closed/i];

/** Whether `error` says the database is unreachable, full or too slow. */
export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === STATEMENT_TIMEOUT || UNAVAILABLE_NODE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE_CLASSES.some((c) => code.startsWith(c))) return true;
  }
  return UNAVAILABLE_MESSAGES.some((re) => re.test(error.message));
}

/** The error a store method throws for `error`: a 503 `STORE_UNAVAILABLE` for the database's condition, else `error` itself. */
export function storeError(error: unknown): unknown {
  if (!isStoreUnavailable(error)) return error;
  const code = (error as { code?: unknown }).code;
  const what = code === STATEMENT_TIMEOUT ? 'did not answer in time' : code === '53100' ? 'is out of space' : 'is unavailable';
  return new KeyServerError(503, 'STORE_UNAVAILABLE', `the key database ${what}; retry later`, { headers: { 'retry-after': '1' }, cause: error });
}
