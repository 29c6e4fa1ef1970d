/**
 * Issue 16: send budgets hold across relay instances. Two relay processes
 * on one PostgreSQL database keep their token buckets there, so a client
 * that spreads its sends over both gets no more than from one: with a
 * budget of 20 sends per (recipient, source) and 50 per source (neither
 * refilling), 40 sends to one recipient alternating between the instances
 * get exactly 20 accepted, and the source's remaining 30 are all that 40
 * more sends to other recipients get. (Per-process buckets would have let
 * through twice as many.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@sealpost/devkit/postgres';
import { numberedEnvelope, startRelayCluster, type ClusterAccount, type RelayCluster } from '@sealpost/devkit/services';
import { relayPostgresSuites } from './support/postgres-suite.ts';
import { RelayClient } from './support/relay-client.ts';

const BUDGETS = ['--recipient-source-burst', '20', '--recipient-source-per-hour', '0', '--source-burst', '50', '--source-per-second', '0'];

describe.runIf(relayPostgresSuites())('send budgets across two relay processes on one PostgreSQL database', () => {
  let db: TestDatabase;
  let cluster: RelayCluster;
  let clients: RelayClient[];
  beforeAll(async () => {
    db = await createTestDatabase();
    cluster = await startRelayCluster({ databaseUrl: db.url, instances: [BUDGETS, BUDGETS] });
    clients = cluster.relays.map((r) => new RelayClient(r.url));
  });
  afterAll(async () => {
    await cluster?.close();
    await db?.drop();
  });

  /** `count` sends to `account`, alternating instances; the statuses (and refusal codes) in order. */
  async function spread(account: ClusterAccount, count: number, first: number): Promise<Array<number | string>> {
    const out: Array<number | string> = [];
    for (let i = 0; i < count; i++) {
      const r = await clients[(first + i) % 2]!.send(account.id, account.accessKey, [{ deviceId: 1, registrationId: account.devices[0]!.registrationId, content: numberedEnvelope(i) }]);
      out.push(r.status === 429 ? `429 ${String(r.body.error?.code)} ${r.headers.get('retry-after') === null ? 'no Retry-After' : 'Retry-After'}` : r.status);
    }
    return out;
  }

  it('a client spreading its sends over both instances gets one budget, not two', async () => {
    const accounts = await Promise.all(Array.from({ length: 6 }, () => cluster.newAccount(1)));
    const [target, ...others] = accounts as [ClusterAccount, ...ClusterAccount[]];
    // Per (recipient, source): 20 of 40.
    const toTarget = await spread(target, 40, 0);
    expect(toTarget.filter((s) => s === 200)).toHaveLength(20);
    expect(toTarget.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(new Set(toTarget.slice(20))).toEqual(new Set(['429 RATE_LIMITED Retry-After']));
    // Per source: 50 in all, 20 of them spent above; 8 sends to each of 5 others (under their pair budget) get 30.
    const toOthers = (await Promise.all(others.map((acc, i) => spread(acc, 8, i)))).flat();
    expect(toOthers.filter((s) => s === 200)).toHaveLength(30);
    expect(toOthers.filter((s) => s !== 200).every((s) => s === '429 RATE_LIMITED Retry-After')).toBe(true);
    // Both instances refuse now.
    for (const client of clients) {
      const r = await client.send(target.id, target.accessKey, [{ deviceId: 1, registrationId: target.devices[0]!.registrationId, content: numberedEnvelope(99) }]);
      expect(r.status).toBe(429);
    }
  });
});
