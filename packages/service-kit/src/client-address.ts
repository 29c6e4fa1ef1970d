/**
 * The key a client address is rate limited under. One IPv6 subscriber
 * usually holds a whole /64 (and can pick any address in it), so IPv6
 * addresses are grouped by their /64 prefix; IPv4-mapped IPv6 addresses
 * (`::ffff:192.0.2.1`, how a dual-stack socket reports IPv4 peers) count as
 * the IPv4 address. Parsing is ipaddr.js's (the library fastify's
 * proxy-addr uses).
 */
import ipaddr from 'ipaddr.js';

/** `v4:<address>` or `v6:<first 64 bits>::/64`; `other:<text>` for anything unparsable (never expected from a socket). */
export function clientAddressKey(address: string): string {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // Zone ids (fe80::1%eth0) are local to this host: the prefix is what counts.
    parsed = ipaddr.parse(address.replace(/%.*$/, ''));
  } catch {
    return `other:${address.slice(0, 64)}`;
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return `v4:${v6.toIPv4Address().toString()}`;
    const p = v6.parts;
    return `v6:${[p[0], p[1], p[2], p[3]].map((x) => x!.toString(16)).join(':')}::/64`;
  }
  return `v4:${parsed.toString()}`;
}
