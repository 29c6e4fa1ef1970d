/**
 * What every service process has besides its API: readiness, metrics and
 * draining. `installRuntime(app, options)` (right after the app is created,
 * before its routes) decorates it as `app.runtime` and registers
 *
 * - `GET /ready`: 200 `{status:"ready"}` when the store answers
 *   (`options.ready`: database reachable, migrations applied) and the
 *   instance is not draining; otherwise 503 `NOT_READY` (uniform error
 *   body) saying which. `/health` (liveness) stays the service's own.
 * - `GET /metrics` on the app's own port when `metricsRoute` is set (the
 *   default is a separate loopback listener, `startMetricsListener`).
 * - request timing for the metrics.
 *
 * Draining (`startDraining()`, run by `exitOnSignals` on SIGTERM): `/ready`
 * answers 503 so a load balancer stops sending, and every response carries
 * `Connection: close` so keep-alive clients move to another instance after
 * their in-flight request instead of sending more here.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-error.ts';
import { withErrors } from '../schemas.ts';
import { ServiceMetrics, type PoolLike } from './metrics.ts';

/** Options of `installRuntime`. */
export interface RuntimeOptions {
  /** Service name (metric label `service`). */
  service: string;
  /** Resolves when the store is usable (reachable, schema current); rejects with the reason otherwise. */
  ready?: () => Promise<void>;
  /** Longest a readiness check may take before it counts as failed, ms (default 2000). */
  readyTimeoutMs?: number;
  /** Serve `/metrics` on the app's own port (default false). */
  metricsRoute?: boolean;
  /** Database pool stats for the metrics (a `pg.Pool`). */
  pool?: () => PoolLike | undefined;
  /** How long sampled gauges are reused, ms (default 5000). */
  metricsSampleMs?: number;
  /** Collect process metrics (default true). */
  processMetrics?: boolean;
}

/** The decoration `app.runtime`. */
export interface ServiceRuntime {
  readonly metrics: ServiceMetrics;
  /** True once draining started. */
  readonly draining: boolean;
  /** `/ready` → 503 and `Connection: close` on every response from now on. */
  startDraining(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    runtime: ServiceRuntime;
  }
}

const readySchema = withErrors({ 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ready'] } } } });

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Decorates `app.runtime` and registers `/ready` (and `/metrics` with `metricsRoute`). */
export function installRuntime(app: FastifyInstance, options: RuntimeOptions): ServiceRuntime {
  const metrics = new ServiceMetrics({
    service: options.service,
    ...(options.pool === undefined ? {} : { pool: options.pool }),
    ...(options.metricsSampleMs === undefined ? {} : { sampleMs: options.metricsSampleMs }),
    ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
  });
  let draining = false;
  const runtime: ServiceRuntime = {
    metrics,
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
    },
  };
  app.decorate('runtime', runtime);
  metrics.instrument(app);
  app.addHook('onSend', async (_request, reply, payload) => {
    if (draining) reply.header('connection', 'close');
    return payload;
  });

  const readyTimeoutMs = options.readyTimeoutMs ?? 2000;
  app.get('/ready', { schema: { tags: ['health'], summary: 'Readiness: store reachable and migrated, not draining (503 otherwise)', response: readySchema } }, async () => {
    if (draining) throw new HttpError(503, 'NOT_READY', 'this instance is shutting down');
    if (options.ready !== undefined) {
      try {
        await within(options.ready(), readyTimeoutMs);
      } catch (e) {
        throw new HttpError(503, 'NOT_READY', `the store is not ready: ${(e as Error).message}`);
      }
    }
    return { status: 'ready' as const };
  });
  if (options.metricsRoute === true) {
    app.get('/metrics', { schema: { hide: true } as Record<string, unknown> }, async (_request, reply) => {
      reply.type(metrics.contentType);
      return metrics.text();
    });
  }
  return runtime;
}
