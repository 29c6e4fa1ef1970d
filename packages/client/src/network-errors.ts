/**
 * What a failed `fetch` (no HTTP answer) means, as a `NetworkError` code.
 * Node's fetch (undici) rejects with `TypeError('fetch failed')` whose
 * `cause` is the socket error (`code` ECONNREFUSED, ENOTFOUND, a TLS
 * certificate code, ...), sometimes an `AggregateError` of one per address;
 * browsers give no detail (`NETWORK_ERROR`). Our own deadline
 * (`AbortSignal.timeout`) rejects with a `TimeoutError`.
 */
import { NetworkError, type NetworkErrorCode } from './errors.ts';

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
const TLS_CODES = new Set([
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** The chain of causes of `error` (bounded), with an AggregateError's members. */
function causes(error: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (e === undefined || e === null || out.includes(e)) continue;
    out.push(e);
    if (typeof e === 'object') {
      const o = e as { cause?: unknown; errors?: unknown };
      queue.push(o.cause);
      if (Array.isArray(o.errors)) queue.push(...o.errors);
    }
  }
  return out;
}

function codeOf(chain: unknown[]): NetworkErrorCode {
  const codes: string[] = [];
  for (const e of chain) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (name === 'TimeoutError') return 'TIMEOUT';
    if (typeof code === 'string') codes.push(code);
  }
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return 'TIMEOUT';
  if (codes.some((c) => DNS_CODES.has(c))) return 'DNS_FAILURE';
  if (codes.some((c) => TLS_CODES.has(c) || c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_') || c.startsWith('CERT_'))) return 'TLS_FAILURE';
  if (codes.includes('ECONNREFUSED')) return 'CONNECTION_REFUSED';
  if (codes.some((c) => RESET_CODES.has(c))) return 'CONNECTION_RESET';
  return 'NETWORK_ERROR';
}

/** The `NetworkError` for `error`, thrown by fetch for `url` of `service`. */
export function networkErrorOf(error: unknown, service: string, url: string, timeoutMs: number): NetworkError {
  const chain = causes(error);
  const code = codeOf(chain);
  const innermost = chain[chain.length - 1];
  const detail =
    code === 'TIMEOUT'
      ? `no answer within ${timeoutMs} ms`
      : innermost instanceof Error
        ? `${(innermost as { code?: unknown }).code ?? innermost.name}: ${innermost.message}`
        : String(innermost);
  return new NetworkError(code, service, url, detail, { cause: error });
}
