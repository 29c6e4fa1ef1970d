/**
 * Where a link-preview fetch may go. A URL must be `https:` with no
 * credentials; its host is resolved here, and **every** address it resolves
 * to must be public unicast (ipaddr.js's special-range tables: private,
 * loopback, link-local, CGNAT, unique-local, multicast, reserved, … are all
 * refused; IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4
 * address inside). The connection is then made to an address that was
 * checked (also through a proxy, whose CONNECT names that address), so a
 * second DNS answer cannot swap in another destination (DNS rebinding).
 *
 * `allowPrivateHosts` exempts named hosts from the address check: for tests
 * against 127.0.0.1 and for operators with an internal site they mean to
 * preview. It never exempts the scheme check.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { LinkPreviewError } from './errors.ts';

/** The checked destination of one request. */
export interface Destination {
  url: URL;
  /** Host name as written in the URL (brackets removed for IPv6). */
  hostname: string;
  /** The addresses to try, in order (all checked; IPv4 first). */
  addresses: string[];
  port: number;
}

/** Parses and checks a preview URL's form (scheme, credentials). */
export function checkPreviewUrl(raw: string | URL, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch (e) {
    throw new LinkPreviewError('PREVIEW_URL_REFUSED', String(raw).slice(0, 200), 'not a valid URL', { cause: e });
  }
  if (url.protocol !== 'https:') {
    throw new LinkPreviewError('PREVIEW_URL_REFUSED', url.href, `only https: URLs are fetched for previews, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new LinkPreviewError('PREVIEW_URL_REFUSED', url.href, 'URLs with credentials are not fetched for previews');
  }
  if (url.hostname === '') throw new LinkPreviewError('PREVIEW_URL_REFUSED', url.href, 'URL has no host');
  url.hash = '';
  return url;
}

/** True when `address` is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  if (isIP(address) === 0) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const range = v6.range();
    if (range === 'ipv4Mapped') parsed = v6.toIPv4Address();
    else if (range === 'rfc6052') parsed = ipaddr.fromByteArray(v6.toByteArray().slice(12));
  }
  return parsed.range() === 'unicast';
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Resolves `url`'s host and checks every address; throws `PREVIEW_DESTINATION_BLOCKED` or `PREVIEW_NETWORK`. */
export async function resolveDestination(url: URL, allowPrivateHosts: readonly string[], signal: AbortSignal): Promise<Destination> {
  const hostname = hostOf(url);
  const port = url.port === '' ? 443 : Number(url.port);
  const exempt = allowPrivateHosts.some((h) => h.replace(/^\[|\]$/g, '').toLowerCase() === hostname.toLowerCase());
  let addresses: string[];
  if (isIP(hostname) !== 0) {
    addresses = [hostname];
  } else {
    try {
      const answers = await abortable(lookup(hostname, { all: true, verbatim: true }), signal);
      addresses = answers.map((a) => a.address);
    } catch (e) {
      if (signal.aborted) throw e;
      throw new LinkPreviewError('PREVIEW_NETWORK', url.href, `could not resolve ${hostname}`, { cause: e });
    }
  }
  const first = addresses[0];
  if (first === undefined) throw new LinkPreviewError('PREVIEW_NETWORK', url.href, `${hostname} has no addresses`);
  if (!exempt) {
    const blocked = addresses.find((a) => !isPublicAddress(a));
    if (blocked !== undefined) {
      throw new LinkPreviewError('PREVIEW_DESTINATION_BLOCKED', url.href, `${hostname} resolves to a non-public address (${blocked}); previews fetch public hosts only`);
    }
  }
  // IPv4 first (as dns `order: 'ipv4first'`); the fetch tries the next on a connect failure.
  const ordered = [...addresses.filter((a) => isIP(a) === 4), ...addresses.filter((a) => isIP(a) !== 4)];
  return { url, hostname, addresses: ordered, port };
}

/** `promise`, or the signal's reason once it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
