/**
 * The end of every service's `main`: listen, start the metrics listener
 * (`metrics: 'separate'`), and drain on SIGTERM/SIGINT (`exitOnSignals`).
 * A metrics port that cannot be bound is logged as an error and the
 * service runs on without it: metrics are for the operator, and a clash on
 * a loopback port must not take the API down.
 */
import type { FastifyInstance } from 'fastify';
import { exitOnSignals } from '../shutdown.ts';
import { startMetricsListener, type MetricsListener } from './metrics-listener.ts';
import type { MetricsMode } from './runtime-config.ts';

/** What `serveService` needs (the runtime settings of `runtimeConfigSpec` plus the address). */
export interface ServeOptions {
  host: string;
  port: number;
  metrics: MetricsMode;
  metricsHost: string;
  metricsPort: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  /** Flushes an asynchronous log destination before exit. */
  flush?: () => void;
}

/** Listens and installs the signal handlers; resolves with the address once serving. */
export async function serveService(app: FastifyInstance, options: ServeOptions): Promise<string> {
  let metricsListener: MetricsListener | undefined;
  exitOnSignals(app, {
    ...(options.flush === undefined ? {} : { flush: options.flush }),
    forceAfterMs: options.shutdownTimeoutMs,
    delayMs: options.shutdownDelayMs,
    afterClose: async () => {
      await metricsListener?.close();
    },
  });
  const address = await app.listen({ host: options.host, port: options.port });
  if (options.metrics === 'separate') {
    try {
      metricsListener = await startMetricsListener(app.runtime.metrics, options.metricsHost, options.metricsPort);
      app.log.info({ metrics: `http://${options.metricsHost.includes(':') ? `[${options.metricsHost}]` : options.metricsHost}:${metricsListener.port}/metrics` }, 'metrics listening');
    } catch (e) {
      app.log.error({ err: { message: (e as Error).message } }, 'metrics listener failed to start; serving without it');
    }
  }
  return address;
}
