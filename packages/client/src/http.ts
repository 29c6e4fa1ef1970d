/**
 * The one JSON-over-HTTP helper both service clients use (the platform's
 * `fetch`). Non-2xx answers become `ServiceError` carrying the service's
 * `{ error: { code, message, ... } }` body; a service that gives no HTTP
 * answer becomes a `NetworkError` whose code says why (`network-errors.ts`).
 * Paths are appended to the base URL's own path: a base of
 * `https://host/prefix` calls `https://host/prefix/v1/...`.
 */
import { ClientError, ServiceError } from './errors.ts';
import { networkErrorOf } from './network-errors.ts';
import { ACCOUNT_DELETED_CODE, AccountDeletedError } from './account-deletion/errors.ts';

/** One request. */
export interface JsonRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Abort after this many ms (default 15 s). */
  timeoutMs?: number;
}

/**
 * `path` (absolute, e.g. `/v1/keys?x=1`) under `baseUrl`, keeping the base
 * URL's path prefix. A base URL that is not http(s) or carries a query or
 * fragment is `INVALID_DATA`.
 */
export function serviceUrl(baseUrl: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (e) {
    throw new ClientError('INVALID_DATA', `service URL ${JSON.stringify(baseUrl)} is not a URL`, { cause: e });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ClientError('INVALID_DATA', `service URL ${baseUrl} must be http: or https:`);
  if (url.search !== '' || url.hash !== '') throw new ClientError('INVALID_DATA', `service URL ${baseUrl} must not carry a query or fragment`);
  const query = path.indexOf('?');
  const pathname = query < 0 ? path : path.slice(0, query);
  url.pathname = url.pathname.replace(/\/+$/, '') + (pathname.startsWith('/') ? pathname : `/${pathname}`);
  if (query >= 0) url.search = path.slice(query);
  return url;
}

/** Sends `request` to `baseUrl` and returns the parsed JSON (undefined for 204). */
export async function requestJson<T>(service: string, baseUrl: string, request: JsonRequest): Promise<T> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const url = serviceUrl(baseUrl, request.path);
  const timeoutMs = request.timeoutMs ?? 15_000;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (e) {
    throw networkErrorOf(e, service, url.toString(), timeoutMs);
  }
  let parsed: unknown;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    // Account deletion: a typed error of its own (account-deletion/errors.ts).
    if (error?.code === ACCOUNT_DELETED_CODE) throw new AccountDeletedError(service, response.status, typeof (error as { account?: unknown }).account === 'string' ? (error as { account: string }).account : undefined);
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ServiceError(
      service,
      response.status,
      typeof error?.code === 'string' ? error.code : undefined,
      typeof error?.message === 'string' ? error.message : response.statusText,
      error ?? parsed,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  return parsed as T;
}

export { fromBase64, toBase64 } from './encoding.ts';
