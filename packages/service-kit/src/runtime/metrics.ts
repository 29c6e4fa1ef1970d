/**
 * Prometheus metrics of one service instance (prom-client), in a registry of
 * its own (several apps in one test process never collide):
 *
 * - `sealpost_http_request_duration_seconds{method,route,status_code}`: a
 *   histogram per route PATTERN (`/v1/keys/:accountId/:deviceId`, never the
 *   URL, so no account id reaches a label; unmatched paths are `unmatched`).
 *   Its `_count` is the request rate.
 * - sampled gauges the service adds (`sampledGauge`): aggregate numbers a
 *   store computes (queue depths, one-time-key stock), re-read at most once
 *   per `sampleMs` whatever the scrape rate;
 * - `sealpost_db_pool_{total,idle,waiting}` from a pool getter (pg.Pool's
 *   totalCount / idleCount / waitingCount) when the store has a pool;
 * - prom-client's process metrics (CPU, memory, event-loop lag, handles),
 *   collected once per process (one registry shared by every app in it, so a
 *   test process building many apps runs one event-loop monitor, not many).
 *
 * Every series of the app's own registry carries `service="<name>"`.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The pool numbers a `pg.Pool` has (and any other pool can give). */
export interface PoolLike {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** Options of `ServiceMetrics`. */
export interface ServiceMetricsOptions {
  service: string;
  /** How long a sampled value is reused, ms (default 5000). */
  sampleMs?: number;
  /** Collect prom-client's process metrics (default true). */
  processMetrics?: boolean;
  /** Database pool stats; undefined (or a getter answering undefined) for embedded stores. */
  pool?: () => PoolLike | undefined;
}

let processRegistry: Registry | undefined;
/** The process-wide registry of prom-client's default metrics (made on first use). */
function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The registry and the instruments of one instance. */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<'method' | 'route' | 'status_code'>;
  private readonly sampleMs: number;
  private readonly process: Registry | undefined;

  constructor(options: ServiceMetricsOptions) {
    this.sampleMs = options.sampleMs ?? 5000;
    this.registry.setDefaultLabels({ service: options.service });
    this.process = (options.processMetrics ?? true) ? processMetricsRegistry() : undefined;
    this.requests = new Histogram({
      name: 'sealpost_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status: latency in seconds (_count: number of requests)',
      labelNames: ['method', 'route', 'status_code'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
    const pool = options.pool;
    if (pool !== undefined) {
      for (const [name, field, help] of [
        ['sealpost_db_pool_total', 'totalCount', 'database pool: open clients'],
        ['sealpost_db_pool_idle', 'idleCount', 'database pool: idle clients'],
        ['sealpost_db_pool_waiting', 'waitingCount', 'database pool: queued requests waiting for a client'],
      ] as const) {
        new Gauge({
          name,
          help,
          registers: [this.registry],
          collect() {
            const p = pool();
            if (p !== undefined) this.set(p[field]);
          },
        });
      }
    }
  }

  /** Times every request of `app` (call before routes are registered). */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      this.requests.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  }

  /** A gauge whose value is what `read` answers (a number, or one number per label value), sampled at most once per `sampleMs`. */
  sampledGauge(name: string, help: string, read: () => number | Promise<number>): void;
  sampledGauge<L extends string>(name: string, help: string, read: () => Record<string, number> | Promise<Record<string, number>>, labelName: L): void;
  sampledGauge(name: string, help: string, read: () => unknown, labelName?: string): void {
    let cached: { at: number; value: number | Record<string, number> } | undefined;
    const sampleMs = this.sampleMs;
    new Gauge({
      name,
      help,
      labelNames: labelName === undefined ? [] : [labelName],
      registers: [this.registry],
      async collect() {
        const now = Date.now();
        if (cached === undefined || now - cached.at >= sampleMs) {
          try {
            cached = { at: now, value: (await read()) as number | Record<string, number> };
          } catch {
            return; // a failing store leaves the gauge out of this scrape; /ready reports it
          }
        }
        const v = cached.value;
        if (typeof v === 'number') this.set(v);
        else for (const [label, n] of Object.entries(v)) this.set({ [labelName!]: label }, n);
      },
    });
  }

  /** A gauge read live on every scrape (cheap in-memory numbers: open sockets). */
  liveGauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** The exposition text: the app's series, then the process metrics. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    return this.process === undefined ? own : `${own}\n${await this.process.metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
