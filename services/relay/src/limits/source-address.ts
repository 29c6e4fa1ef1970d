/**
 * The "source" a sealed send is charged to: the client's network address,
 * an IPv4 address as is and an IPv6 address by its /64 (one subscriber's
 * prefix, which costs an attacker as much as one IPv4 address). IPv4-mapped
 * IPv6 addresses count as IPv4. Behind a reverse proxy every client is the
 * proxy unless it is trusted (`trustProxy`: then `request.ip` is the
 * forwarded client address): see the README.
 */
import ipaddr from 'ipaddr.js';

/** The rate-limit key of a remote address. */
export function sourceOf(address: string | undefined): string {
  if (address === undefined || !ipaddr.isValid(address)) return 'unknown';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}
