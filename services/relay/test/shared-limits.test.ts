/**
 * Issue 16: on PostgreSQL the send budgets are shared by every relay
 * instance on the database. The bucket store takes from all buckets of a
 * charge or none, and concurrent charges from two pools never take more
 * than a bucket holds; two relays on one database give one source one
 * budget, not one per instance. Needs a PostgreSQL test server.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@sealpost/devkit/postgres';
import { PostgresEnvelopeStore } from '../src/index.ts';
import { PgBucketStore } from '../src/limits/pg-bucket-store.ts';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup.length = 0;
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase('sealpost_relay');
  cleanup.push(() => db.drop());
  return db;
}

async function store(url: string): Promise<PostgresEnvelopeStore> {
  const s = await PostgresEnvelopeStore.open({ url, maxConnections: 6 });
  cleanup.push(() => s.close());
  return s;
}

describe.runIf(postgresAvailable())('send budgets shared across instances on PostgreSQL', () => {
  it('takes from every bucket of a charge or none; concurrent charges from two pools never overdraw', async () => {
    const db = await database();
    const a = new PgBucketStore((await store(db.url)).pool);
    const b = new PgBucketStore((await store(db.url)).pool);
    const count = { name: 'count', capacity: 20, perMs: 0 };
    const bytes = { name: 'bytes', capacity: 1000, perMs: 0 };
    // Short on one bucket: nothing is taken from the other.
    expect(await a.takeAll([{ spec: count, key: 's', n: 1 }, { spec: bytes, key: 's', n: 1001 }], 1000)).toEqual([0, Number.POSITIVE_INFINITY]);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).takeAll([{ spec: count, key: 's', n: 1 }, { spec: bytes, key: 's', n: 10 }], 1000)));
    expect(results.filter((w) => w.every((x) => x === 0))).toHaveLength(20);
    expect(await a.takeAll([{ spec: bytes, key: 's', n: 800 }], 1000)).toEqual([0]); // 20 × 10 taken, 800 left
    // A refilling bucket says how long to wait, and refills.
    const slow = { name: 'slow', capacity: 2, perMs: 0.001 };
    expect(await b.takeAll([{ spec: slow, key: 'k', n: 2 }], 5000)).toEqual([0]);
    expect(await a.takeAll([{ spec: slow, key: 'k', n: 1 }], 5000)).toEqual([1000]);
    expect(await a.takeAll([{ spec: slow, key: 'k', n: 1 }], 6000)).toEqual([0]);
    // A bucket that has refilled carries no information and is pruned; spent ones that never refill stay.
    expect(await a.prune(10_000_000)).toBe(1);
    expect(await a.takeAll([{ spec: count, key: 's', n: 1 }], 10_000_000)).toEqual([Number.POSITIVE_INFINITY]);
  });

  it('two relays on one database: one source gets one budget, whichever instance it sends through', async () => {
    const db = await database();
    const limits = { sourceBurst: 10, sourcePerSecond: 0.001 };
    const first: RelayHarness = await startRelay({ database: { url: db.url }, limits });
    cleanup.push(() => first.close());
    const second = await startRelay({ database: { url: db.url }, limits, devices: first.directory, verifyCredential: first.verifyCredential });
    cleanup.push(() => second.close());
    const id = newAccountId();
    first.directory.accounts.set(id, [{ deviceId: 1, registrationId: 5 }]);
    const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await first.client.setAccessKey(id, first.credential(id, 1), key)).status).toBe(204);
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      const via = i % 2 === 0 ? first : second;
      statuses.push((await via.client.send(id, key, [{ deviceId: 1, registrationId: 5, content: fakeSealed(i) }])).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    expect((await first.client.poll(first.credential(id, 1), 100)).body.messages).toHaveLength(10);
  });
});
