/**
 * The kit runtime on a bare fastify app over real HTTP: /ready follows the
 * readiness check (and its timeout), and a pg.Pool's numbers reach
 * /metrics through the pool getter (PostgreSQL suites: needs
 * SEALPOST_TEST_POSTGRES_URL).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../src/index.ts';
import { installRuntime, type RuntimeOptions } from '../src/runtime/index.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(options: Omit<RuntimeOptions, 'service'>): Promise<string> {
  app = Fastify();
  installErrorHandling(app);
  installRuntime(app, { service: 'kit-test', processMetrics: false, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

describe('kit runtime', () => {
  it('/ready: 200 when the check resolves, 503 NOT_READY with the reason when it rejects or hangs', async () => {
    let state: 'ok' | 'fail' | 'hang' = 'ok';
    const url = await serve({
      readyTimeoutMs: 200,
      ready: () => (state === 'ok' ? Promise.resolve() : state === 'fail' ? Promise.reject(new Error('schema version 3, expected 4')) : new Promise(() => {})),
    });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    state = 'fail';
    let res = await fetch(`${url}/ready`);
    expect([res.status, await res.json()]).toEqual([503, { error: { code: 'NOT_READY', message: 'the store is not ready: schema version 3, expected 4' } }]);
    state = 'hang';
    res = await fetch(`${url}/ready`);
    expect([res.status, ((await res.json()) as { error: { message: string } }).error.message]).toEqual([503, 'the store is not ready: no answer within 200 ms']);
  });

  describe.runIf(process.env.SEALPOST_TEST_POSTGRES_URL !== undefined)('with a PostgreSQL pool', () => {
    it('pool totals, idle and waiting clients are scraped from the getter', async () => {
      const pool = new pg.Pool({ connectionString: process.env.SEALPOST_TEST_POSTGRES_URL, max: 2 });
      try {
        const url = await serve({ pool: () => pool, metricsRoute: true });
        const scrape = async () => (await (await fetch(`${url}/metrics`)).text()).split('\n');
        expect(await scrape()).toContain('sealpost_db_pool_total{service="kit-test"} 0');
        const held = [await pool.connect(), await pool.connect()];
        const waiting = pool.query('SELECT 1');
        const busy = await scrape();
        expect(busy).toContain('sealpost_db_pool_total{service="kit-test"} 2');
        expect(busy).toContain('sealpost_db_pool_idle{service="kit-test"} 0');
        expect(busy).toContain('sealpost_db_pool_waiting{service="kit-test"} 1');
        for (const c of held) c.release();
        await waiting;
        const idle = await scrape();
        expect(idle).toContain('sealpost_db_pool_waiting{service="kit-test"} 0');
        expect(idle).toContain('sealpost_db_pool_idle{service="kit-test"} 2');
      } finally {
        await pool.end();
      }
    });
  });
});
