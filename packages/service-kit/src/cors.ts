/**
 * Cross-origin access for browser clients, one way for every service:
 * `@fastify/cors` for the configured origins only (default: none, so no
 * CORS header is ever sent and browsers on other origins are refused), and
 * the same list for WebSocket upgrades, which CORS does not cover.
 *
 *     // config spec:  corsOrigins: CORS_ORIGINS_OPTION   (--cors-origins / <PREFIX>_CORS_ORIGINS)
 *     await installCors(app, config.corsOrigins);
 *     refuseForeignWebSocketOrigins(app, config.corsOrigins);   // services with WebSocket routes
 *
 * The services authenticate with explicit headers (`Authorization`,
 * `Unidentified-Access-Key`), never cookies, so responses do not allow
 * credentials. Preflights are answered for the headers the client SDK sends
 * and cached by the browser for ten minutes; a preflight from an origin not
 * listed gets the ordinary 404 (no CORS headers), so the browser refuses it.
 */
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.ts';

/** Request headers the client SDK sends (the preflight allows these). */
export const CORS_ALLOWED_HEADERS: readonly string[] = [
  'authorization',
  'content-type',
  'unidentified-access-key',
  'registration-token',
  'registration-proof',
];

/** Response headers a browser client may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS: readonly string[] = ['retry-after', 'www-authenticate'];

/** How long a browser may cache a preflight answer, s. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * Parses `--cors-origins`: comma-separated origins such as
 * `http://127.0.0.1:5173,https://chat.example`. Each must be exactly an
 * origin (scheme, host, optional port; no path, query, credentials or `*`),
 * because browsers send exactly that in `Origin` and a match is by equality.
 */
export function parseCorsOrigins(text: string): string[] {
  const items = text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  if (items.length === 0) throw new Error('must list at least one origin (scheme://host[:port], comma-separated)');
  return items.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new Error(`${JSON.stringify(item)} is not an origin (scheme://host[:port])`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== item.replace(/\/$/, '')) {
      throw new Error(`${JSON.stringify(item)} is not an origin (scheme://host[:port], http or https, no path)`);
    }
    return url.origin;
  });
}

/** The config-spec entry every service uses (`--cors-origins` / `<PREFIX>_CORS_ORIGINS`, default none). */
export const CORS_ORIGINS_OPTION = {
  parse: parseCorsOrigins,
  default: [] as string[],
  description: 'browser origins allowed to call this service (comma-separated scheme://host[:port]; default none)',
};

/** True when a request with this `Origin` header may be served: no header (not a browser page), or a listed origin. */
export function originAllowed(origins: readonly string[], origin: string | undefined): boolean {
  return origin === undefined || origins.includes(origin);
}

/** Registers `@fastify/cors` for `origins` (nothing at all when the list is empty). Call before the routes. */
export async function installCors(app: FastifyInstance, origins: readonly string[], options: { exposedHeaders?: readonly string[] } = {}): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS, ...(options.exposedHeaders ?? [])],
    credentials: false,
    maxAge: CORS_MAX_AGE_SECONDS,
    // fastify-cors would answer a preflight without Access-Control-Request-Method with a text/plain 400;
    // answering it like any preflight keeps every error in the uniform body (it grants nothing more).
    strictPreflight: false,
  });
}

/**
 * WebSocket upgrades (browsers send `Origin` on them and CORS does not
 * apply): a root `onRequest` hook refuses an upgrade from a page whose origin
 * is not in `origins` with 403 `FORBIDDEN_ORIGIN`, before any authentication.
 * Clients that send no `Origin` (Node, native apps) pass. Call after
 * registering `@fastify/websocket` (whose own `onRequest` hook must run first:
 * it is what closes the socket of a refused upgrade) and before the routes.
 */
export function refuseForeignWebSocketOrigins(app: FastifyInstance, origins: readonly string[]): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') return;
    if (!originAllowed(origins, request.headers.origin)) throw new HttpError(403, 'FORBIDDEN_ORIGIN', 'a page of this origin may not open a WebSocket here');
  });
}
