import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../../tools/devkit/src/postgres.ts';
import { PgTokenBuckets, pgTokenBucketTableSql } from '../src/pg-token-buckets.ts';
import { openPgPool } from '../src/postgres.ts';

describe.runIf(postgresAvailable())('PostgreSQL token buckets (service kit)', () => {
  let db: TestDatabase;
  let pools: pg.Pool[];
  beforeAll(async () => {
    db = await createTestDatabase();
    pools = [openPgPool({ url: db.url, maxConnections: 8 }), openPgPool({ url: db.url, maxConnections: 8 })];
    await pools[0]!.query(pgTokenBucketTableSql('kit_token_buckets'));
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db.drop();
  });

  it('never overdraws a bucket under 200 concurrent takes from two pools (instances)', async () => {
    const buckets = pools.map((p) => new PgTokenBuckets(p, 'kit_token_buckets'));
    const limit = { capacity: 50, perMs: 0.000001 };
    const now = 1_000_000;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => buckets[i % 2]!.take('sends', 'client-a', 1, limit, now)));
    expect(results.filter((w) => w === 0)).toHaveLength(50);
    expect(results.filter((w) => w > 0).every((w) => w >= 1)).toBe(true);
    // Another key and another limiter are independent.
    expect(await buckets[0]!.take('sends', 'client-b', 1, limit, now)).toBe(0);
    expect(await buckets[1]!.take('other', 'client-a', 1, limit, now)).toBe(0);
  });

  it('refills with time, reports the wait, refuses costs above capacity, and prunes full buckets', async () => {
    const b = new PgTokenBuckets(pools[0]!, 'kit_token_buckets');
    const limit = { capacity: 10, perMs: 1 / 100 }; // one token per 100 ms
    const t = 5_000_000;
    expect(await b.take('bytes', 'k', 10, limit, t)).toBe(0);
    expect(await b.take('bytes', 'k', 3, limit, t)).toBe(300);
    expect(await b.take('bytes', 'k', 3, limit, t + 299)).toBeGreaterThan(0);
    expect(await b.take('bytes', 'k', 3, limit, t + 300)).toBe(0);
    expect(await b.take('bytes', 'k', 11, limit, t + 300)).toBe(Number.POSITIVE_INFINITY);
    expect(await b.prune('bytes', limit, t + 500)).toBe(0);
    expect(await b.prune('bytes', limit, t + 300 + 1_000)).toBe(1);
    expect(await b.take('bytes', 'k', 10, limit, t + 2_000)).toBe(0);
  });
});
