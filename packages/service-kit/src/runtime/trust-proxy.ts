/**
 * `trustProxy`: which peers are reverse proxies whose `X-Forwarded-For` the
 * service believes. fastify (proxy-addr) then takes `request.ip` — what
 * rate limits key on — from the header, walking it from the right while the
 * hop is trusted; from any other peer the header is ignored and the socket
 * address counts. Empty (the default): no proxy is trusted.
 *
 * Entries: IPv4/IPv6 addresses, CIDR ranges, or proxy-addr's names
 * `loopback`, `linklocal`, `uniquelocal`. Checked here with ipaddr.js (the
 * library proxy-addr uses) so a typo fails at start-up, not silently.
 */
import ipaddr from 'ipaddr.js';
import { parseList } from '../config.ts';

const NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Parses a comma-separated trust list; throws with the bad entry. */
export function parseTrustProxy(text: string): string[] {
  const list = parseList(text);
  for (const entry of list) {
    if (NAMES.has(entry)) continue;
    const ok = entry.includes('/')
      ? (() => {
          try {
            ipaddr.parseCIDR(entry);
            return true;
          } catch {
            return false;
          }
        })()
      : ipaddr.isValid(entry);
    if (!ok) throw new Error(`not an IP address, CIDR range or loopback/linklocal/uniquelocal: ${JSON.stringify(entry)}`);
  }
  return list;
}

/** The value for `Fastify({ trustProxy })`: false when nothing is trusted. */
export function trustProxyOption(list: readonly string[] | undefined): false | string[] {
  return list === undefined || list.length === 0 ? false : [...list];
}
