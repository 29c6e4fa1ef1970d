/**
 * Client addresses: the rate-limit key (`clientAddressKey`, shared with the
 * other services through the service kit) and CIDR range checks.
 */
import ipaddr from 'ipaddr.js';

export { clientAddressKey } from '@sealpost/service-kit';

/** Whether `address` falls in one of `ranges` (CIDR strings such as `127.0.0.0/8`, `::1/128`). */
export function addressInRanges(address: string, ranges: readonly (readonly [ipaddr.IPv4 | ipaddr.IPv6, number])[]): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.replace(/%.*$/, ''));
  } catch {
    return false;
  }
  return ranges.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
}

/** Parses CIDR strings (a bare address is a single-host range); throws RangeError on a bad one. */
export function parseAddressRanges(cidrs: readonly string[]): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return cidrs.map((c) => {
    try {
      if (c.includes('/')) {
        // IPv4 ranges in IPv4 notation: peers are compared as IPv4 once unmapped.
        return ipaddr.parseCIDR(c);
      }
      const a = ipaddr.process(c);
      return [a, a.kind() === 'ipv4' ? 32 : 128];
    } catch {
      throw new RangeError(`not an IP address or CIDR range: ${JSON.stringify(c)}`);
    }
  });
}
