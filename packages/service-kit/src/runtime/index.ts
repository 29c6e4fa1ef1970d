/**
 * @sealpost/service-kit/runtime — what a service process needs in
 * production: readiness and draining (`installRuntime`), Prometheus metrics
 * (prom-client), the separate metrics listener, the trusted-proxy setting
 * and the config-spec fragment for all of them. A separate entry so that
 * the kit's root (which the client also uses) never loads prom-client.
 */
export { installRuntime, type RuntimeOptions, type ServiceRuntime } from './service-runtime.ts';
export { ServiceMetrics, type PoolLike, type ServiceMetricsOptions } from './metrics.ts';
export { startMetricsListener, type MetricsListener } from './metrics-listener.ts';
export { parseTrustProxy, trustProxyOption } from './trust-proxy.ts';
export { runtimeConfigSpec, serveOptionsOf, type MetricsMode } from './runtime-config.ts';
export { serveService, type ServeOptions } from './serve.ts';
