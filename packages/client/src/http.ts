/**
 * The one JSON-over-HTTP helper both service clients use (the platform's
 * `fetch`). Non-2xx answers become `ServiceError` carrying the service's
 * `{ error: { code, message, ... } }` body; unreachable services become
 * `ClientError('NETWORK_ERROR')`.
 */
import { ClientError, ServiceError } from './errors.ts';

/** One request. */
export interface JsonRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Abort after this many ms (default 15 s). */
  timeoutMs?: number;
}

/** Sends `request` to `baseUrl` and returns the parsed JSON (undefined for 204). */
export async function requestJson<T>(service: string, baseUrl: string, request: JsonRequest): Promise<T> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(new URL(request.path, baseUrl), {
      method: request.method,
      headers,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      signal: AbortSignal.timeout(request.timeoutMs ?? 15_000),
    });
  } catch (e) {
    throw new ClientError('NETWORK_ERROR', `${service} unreachable at ${baseUrl}: ${(e as Error).message}`, { cause: e });
  }
  const text = await response.text();
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
