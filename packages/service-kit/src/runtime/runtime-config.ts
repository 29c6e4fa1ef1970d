/**
 * The settings every service has for running in production, as a fragment
 * of its config spec (`{ ...runtimeConfigSpec({ metricsPort: 9180 }), ... }`):
 *
 * | setting           | default     | what |
 * |-------------------|-------------|------|
 * | trustProxy        | none        | reverse proxies (addresses, CIDRs, loopback/linklocal/uniquelocal) whose X-Forwarded-For is believed |
 * | metrics           | separate    | `off`, `same` (GET /metrics on the service port) or `separate` (own listener) |
 * | metricsHost       | 127.0.0.1   | address of the separate metrics listener |
 * | metricsPort       | per service | port of the separate metrics listener |
 * | shutdownDelayMs   | 0           | on SIGTERM: how long /ready answers 503 while requests are still served, before the listener closes |
 * | shutdownTimeoutMs | 10000       | on SIGTERM: exit 1 if draining has not finished after this long |
 */
import { parseInteger, parseOneOf, parsePort, parseString } from '../config.ts';
import { parseTrustProxy } from './trust-proxy.ts';
import type { ServeOptions } from './serve.ts';

/** Where `/metrics` is served. */
export type MetricsMode = 'off' | 'same' | 'separate';

/** The runtime settings, with the metrics port of this service. */
export function runtimeConfigSpec(defaults: { metricsPort: number }) {
  return {
    trustProxy: {
      parse: parseTrustProxy,
      default: [] as string[],
      showDefault: 'none',
      description: 'reverse proxies whose X-Forwarded-For gives the client address for rate limits (comma-separated addresses, CIDRs, loopback, linklocal, uniquelocal)',
    },
    metrics: {
      parse: parseOneOf(['off', 'same', 'separate'] as const),
      default: 'separate' as MetricsMode,
      description: 'Prometheus /metrics: off, same (on the service port) or separate (own listener on --metrics-host)',
    },
    metricsHost: { parse: parseString, default: '127.0.0.1', description: 'address of the separate metrics listener' },
    metricsPort: { parse: parsePort, default: defaults.metricsPort, description: 'port of the separate metrics listener' },
    shutdownDelayMs: {
      parse: parseInteger(0, 600_000),
      default: 0,
      description: 'on SIGTERM, how long /ready answers 503 while requests are still served before the listener closes, ms (set to your load balancer\'s probe interval)',
    },
    shutdownTimeoutMs: { parse: parseInteger(1, 600_000), default: 10_000, description: 'on SIGTERM, exit 1 if draining has not finished after this long, ms' },
  } as const;
}

/** The `serveService` options out of a loaded config that has the runtime settings (and host/port). */
export function serveOptionsOf(c: Omit<ServeOptions, 'flush'>): ServeOptions {
  const { host, port, metrics, metricsHost, metricsPort, shutdownDelayMs, shutdownTimeoutMs } = c;
  return { host, port, metrics, metricsHost, metricsPort, shutdownDelayMs, shutdownTimeoutMs };
}
