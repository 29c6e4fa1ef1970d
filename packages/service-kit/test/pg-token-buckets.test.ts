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
    expect(results.filter((r) => r.granted)).toHaveLength(50);
    expect(results.filter((r) => !r.granted).every((r) => PgTokenBuckets.waitMs(r, 1, limit) >= 1)).toBe(true);
    // Another key and another limiter are independent.
    expect((await buckets[0]!.take('sends', 'client-b', 1, limit, now)).granted).toBe(true);
    expect((await buckets[1]!.take('other', 'client-a', 1, limit, now)).granted).toBe(true);
    expect(await buckets[0]!.count('sends')).toBe(2);
  });

  it('refills with time, reports the wait, refuses impossible takes, prunes full buckets; a custom level column', async () => {
    await pools[0]!.query(pgTokenBucketTableSql('kit_permits', 'permits'));
    const b = new PgTokenBuckets(pools[0]!, 'kit_permits', 'permits');
    const limit = { capacity: 10, perMs: 1 / 100 }; // one token per 100 ms
    const t = 5_000_000;
    expect(await b.take('bytes', 'k', 10, limit, t)).toEqual({ granted: true, tokens: 0 });
    const refused = await b.take('bytes', 'k', 3, limit, t);
    expect(refused.granted).toBe(false);
    expect(PgTokenBuckets.waitMs(refused, 3, limit)).toBe(300);
    expect((await b.take('bytes', 'k', 3, limit, t + 299)).granted).toBe(false);
    expect((await b.take('bytes', 'k', 3, limit, t + 300)).granted).toBe(true);
    // An earlier clock refills nothing and does not move the bucket's time back.
    expect((await b.take('bytes', 'k', 1, limit, t)).granted).toBe(false);
    await expect(b.take('bytes', 'k', 11, limit, t + 300)).rejects.toThrow(RangeError);
    expect(await b.prune('bytes', limit, t + 500)).toBe(0);
    expect(await b.prune('bytes', limit, t + 300 + 1_000)).toBe(1);
    expect((await b.take('bytes', 'k', 10, limit, t + 2_000)).granted).toBe(true);
  });
});
