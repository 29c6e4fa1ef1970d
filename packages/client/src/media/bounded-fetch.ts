/**
 * One bounded HTTPS GET for link previews, following redirects by hand so
 * that every hop is checked again (scheme and resolved destination, see
 * destination-guard.ts). Bounds: a redirect count, a body byte cap (stop
 * reading one chunk past it: truncate or fail), one overall deadline (the
 * caller's signal, covering DNS, connect, TLS, every hop and the body), and
 * `Accept-Encoding: identity` so no decompression can inflate a capped body.
 *
 * Optional proxy: `https-proxy-agent` tunnels with HTTP CONNECT to the
 * already-checked address; TLS runs end to end with the site (SNI and
 * certificate check against the URL's host name).
 */
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { checkPreviewUrl, resolveDestination, type Destination } from './destination-guard.ts';
import { LinkPreviewError } from './errors.ts';

/** Rules shared by every request of one preview. */
export interface FetchRules {
  /** Hosts exempt from the public-address check (tests, operators). */
  allowPrivateHosts: readonly string[];
  maxRedirects: number;
  /** `http://host:port` or `https://host:port` of a CONNECT proxy. */
  proxy?: string | URL;
  /** Extra trusted CA certificates (PEM), e.g. a test server's self-signed one. */
  ca?: string | Buffer | Array<string | Buffer>;
  userAgent: string;
  /** The overall deadline (and caller abort). */
  signal: AbortSignal;
}

/** What one fetch accepts. */
export interface BodyRules {
  accept: string;
  /** True when the response's media type (lower case, no parameters) is wanted. */
  acceptType: (mediaType: string) => boolean;
  maxBytes: number;
  /** Past `maxBytes`: keep the first `maxBytes` and stop (`truncate`) or fail with PREVIEW_TOO_LARGE (`error`). */
  overflow: 'truncate' | 'error';
  /** Sees each chunk (with the Content-Type charset); returning true stops reading (the caller has what it needs). */
  onChunk?: (chunk: Buffer, charset: string | undefined) => boolean;
}

export interface FetchedBody {
  /** The URL that answered (after redirects). */
  url: URL;
  mediaType: string;
  /** The `charset` parameter of Content-Type, if any. */
  charset: string | undefined;
  body: Buffer;
  /** True when reading stopped before the end (cap reached or `onChunk` had enough). */
  truncated: boolean;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

type HopResult = { redirect: string } | FetchedBody;

/** GETs `start`, following at most `rules.maxRedirects` redirects, each re-checked. */
export async function fetchBounded(start: URL, rules: FetchRules, body: BodyRules): Promise<FetchedBody> {
  let url = checkPreviewUrl(start);
  for (let redirects = 0; ; redirects++) {
    try {
      const destination = await resolveDestination(url, rules.allowPrivateHosts, rules.signal);
      const result = await requestAnyAddress(destination, rules, body);
      if (!('redirect' in result)) return result;
      if (redirects >= rules.maxRedirects) {
        throw new LinkPreviewError('PREVIEW_TOO_MANY_REDIRECTS', url.href, `more than ${rules.maxRedirects} redirects`);
      }
      url = checkPreviewUrl(result.redirect, url);
    } catch (e) {
      if (rules.signal.aborted) {
        throw new LinkPreviewError('PREVIEW_TIMEOUT', url.href, 'link preview fetch timed out or was aborted', { cause: e });
      }
      throw e;
    }
  }
}

/** Connect failures after which the next resolved address is tried. */
const NEXT_ADDRESS_ERRORS = new Set(['ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

async function requestAnyAddress(destination: Destination, rules: FetchRules, body: BodyRules): Promise<HopResult> {
  for (let i = 0; ; i++) {
    try {
      return await requestOnce(destination, destination.addresses[i]!, rules, body);
    } catch (e) {
      const code = ((e as { cause?: { code?: unknown } }).cause?.code ?? '') as string;
      if (i + 1 >= destination.addresses.length || rules.signal.aborted || !NEXT_ADDRESS_ERRORS.has(code)) throw e;
    }
  }
}

function requestOnce(destination: Destination, address: string, rules: FetchRules, body: BodyRules): Promise<HopResult> {
  const { url } = destination;
  return new Promise<HopResult>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      req.destroy();
    };
    const fail = (code: ConstructorParameters<typeof LinkPreviewError>[0], message: string, cause?: unknown) =>
      settle(() => reject(new LinkPreviewError(code, url.href, message, cause === undefined ? undefined : { cause })));

    const req = request({
      host: address,
      port: destination.port,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      // SNI and the certificate check use the URL's host name, while the
      // socket goes to the checked address.
      ...(isIP(destination.hostname) === 0 ? { servername: destination.hostname } : {}),
      headers: {
        host: url.host,
        'user-agent': rules.userAgent,
        accept: body.accept,
        'accept-encoding': 'identity',
      },
      ...(rules.ca === undefined ? {} : { ca: rules.ca }),
      agent: rules.proxy === undefined ? false : new HttpsProxyAgent(rules.proxy, { keepAlive: false }),
      signal: rules.signal,
    });
    req.on('proxyConnect', (connect: IncomingMessage) => {
      if (connect.statusCode !== 200) fail('PREVIEW_NETWORK', `proxy refused CONNECT with status ${connect.statusCode}`);
    });
    req.on('error', (e) => {
      if (rules.signal.aborted) settle(() => reject(e));
      else fail('PREVIEW_NETWORK', `request failed: ${e.message}`, e);
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        const location = res.headers.location;
        if (location === undefined) return fail('PREVIEW_HTTP_STATUS', `redirect ${status} without Location`);
        return settle(() => resolve({ redirect: location }));
      }
      if (status < 200 || status > 299) return fail('PREVIEW_HTTP_STATUS', `site answered ${status}`);
      const encoding = (res.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding !== 'identity') return fail('PREVIEW_CONTENT_TYPE', `content encoding ${encoding} refused (identity was asked for)`);
      const [typePart, ...params] = (res.headers['content-type'] ?? '').split(';');
      const mediaType = (typePart ?? '').trim().toLowerCase();
      if (!body.acceptType(mediaType)) return fail('PREVIEW_CONTENT_TYPE', `unexpected content type ${mediaType || '(none)'}`);
      const charset = params.map((p) => p.trim().split('=')).find(([k]) => k?.toLowerCase() === 'charset')?.[1]?.replace(/"/g, '');
      const declared = Number(res.headers['content-length']);
      if (body.overflow === 'error' && Number.isFinite(declared) && declared > body.maxBytes) {
        return fail('PREVIEW_TOO_LARGE', `declared length ${declared} exceeds ${body.maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      const finish = (truncated: boolean) =>
        settle(() => resolve({ url, mediaType, charset, body: Buffer.concat(chunks, total), truncated }));
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = body.maxBytes - total;
        if (chunk.length > room) {
          if (body.overflow === 'error') return fail('PREVIEW_TOO_LARGE', `body exceeds ${body.maxBytes} bytes`);
          chunk = chunk.subarray(0, room);
          chunks.push(chunk);
          total += chunk.length;
          body.onChunk?.(chunk, charset);
          return finish(true);
        }
        chunks.push(chunk);
        total += chunk.length;
        if (body.onChunk?.(chunk, charset) === true) finish(true);
      });
      res.on('end', () => finish(false));
      res.on('error', (e) => {
        if (rules.signal.aborted) settle(() => reject(e));
        else fail('PREVIEW_NETWORK', `response failed: ${e.message}`, e);
      });
    });
    req.end();
  });
}
