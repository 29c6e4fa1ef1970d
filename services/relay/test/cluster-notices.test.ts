/**
 * Cluster notices over PostgreSQL LISTEN/NOTIFY between two relay instances
 * (in this process, real HTTP and WebSocket, one shared envelope database):
 * a send accepted by A wakes a socket on B; an access-key change through A
 * is honoured by B at once although B caches keys for a minute; a removal
 * learned by A closes the device's socket on B, which does not poll; a
 * provisioning mailbox opened on A is written through B; after B's
 * listener is killed, it reconnects and a send it missed is still pushed.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { WebSocket } from 'ws';
import { createTestDatabase, type TestDatabase } from '@sealpost/devkit/postgres';
import { deriveAccessKey } from '@sealpost/protocol';
import { openPostgresCluster, type PostgresDeliveryNotifier } from '../src/index.ts';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';
import { closeOf } from './support/proc.ts';
import { relayPostgresSuites } from './support/postgres-suite.ts';

let db: TestDatabase | undefined;
const running: RelayHarness[] = [];
afterEach(async () => {
  for (const h of running.reverse()) await h.close();
  running.length = 0;
  await db?.drop();
  db = undefined;
});

interface Pair {
  a: RelayHarness;
  b: RelayHarness;
  notifierB: PostgresDeliveryNotifier;
}

/** Two instances on one SQLite file (the envelope store is not what is tested here) and one PostgreSQL notice channel. */
async function pair(options: { revalidateB?: number; reconnectB?: number } = {}): Promise<Pair> {
  db = await createTestDatabase();
  const clusterA = await openPostgresCluster({ url: db.url, reconnectInitialMs: 50 });
  const a = await startRelay({ ...clusterA, accessKeyCacheTtlMs: 60_000 });
  running.push(a);
  const clusterB = await openPostgresCluster({ url: db.url, reconnectInitialMs: options.reconnectB ?? 50 });
  const b = await startRelay({
    ...clusterB,
    accessKeyCacheTtlMs: 60_000,
    dbPath: a.dbPath,
    devices: a.directory,
    verifyCredential: a.verifyCredential,
    ...(options.revalidateB === undefined ? {} : { deviceRevalidateMs: options.revalidateB }),
  });
  running.push(b);
  return { a, b, notifierB: clusterB.delivery };
}

const base = (h: RelayHarness): string => h.client.baseUrl;

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

describe.runIf(relayPostgresSuites())('relay cluster notices (PostgreSQL LISTEN/NOTIFY)', () => {
  it('a send accepted by A is pushed on B; an access-key change through A is honoured by B at once', async () => {
    const { a, b } = await pair();
    const id = newAccountId();
    a.directory.accounts.set(id, [{ deviceId: 1, registrationId: 7 }]);
    const oldKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await a.client.setAccessKey(id, a.credential(id, 1), oldKey)).status).toBe(204);

    const socket = await b.client.connect(a.credential(id, 1), { autoAck: true });
    await socket.waitFor(() => socket.queueEmpty);
    const latencies: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const sent = Date.now();
      expect((await a.client.send(id, oldKey, [{ deviceId: 1, registrationId: 7, content: fakeSealed(i) }])).status).toBe(200);
      await socket.waitFor(() => socket.received.length === i, 2_000);
      latencies.push(Date.now() - sent);
    }
    expect(socket.received.map((e) => e.content)).toEqual(Array.from({ length: 20 }, (_, i) => fakeSealed(i + 1)));
    expect(Math.max(...latencies)).toBeLessThan(500);

    // B has the old key cached (60 s); A replaces it.
    expect((await b.client.send(id, oldKey, [{ deviceId: 1, registrationId: 7, content: fakeSealed(21) }])).status).toBe(200);
    const newKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await a.client.setAccessKey(id, a.credential(id, 1), newKey)).status).toBe(204);
    const ms = await until(async () => (await b.client.send(id, oldKey, [{ deviceId: 1, registrationId: 7, content: fakeSealed(22) }])).status === 401, 1_000, 'B refuses the old key');
    expect((await b.client.send(id, newKey, [{ deviceId: 1, registrationId: 7, content: fakeSealed(23) }])).status).toBe(200);
    expect((await a.client.send(id, oldKey, [{ deviceId: 1, registrationId: 7, content: fakeSealed(24) }])).status).toBe(401);
    console.log(`cluster notices: A→B push p100 ${Math.max(...latencies)} ms over 20 sends; B refused the replaced access key after ${ms} ms`);
    await socket.close();
  });

  it('sends through both instances at once to a socket on A: every envelope is pushed (none skipped by seq)', async () => {
    const { a, b } = await pair();
    const id = newAccountId();
    a.directory.accounts.set(id, [{ deviceId: 1, registrationId: 7 }]);
    const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await a.client.setAccessKey(id, a.credential(id, 1), key)).status).toBe(204);
    const socket = await a.client.connect(a.credential(id, 1), { autoAck: true });
    await socket.waitFor(() => socket.queueEmpty);
    // A's own commits arrive at once, B's a notice later, with lower seqs than some of A's: the socket must still read them.
    const TOTAL = 300;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < TOTAL) {
          const n = next++;
          const via = n % 2 === 0 ? a : b;
          expect((await via.client.send(id, key, [{ deviceId: 1, registrationId: 7, content: fakeSealed(n) }])).status).toBe(200);
        }
      }),
    );
    await socket.waitFor(() => new Set(socket.received.map((e) => Buffer.from(e.content).toString('hex'))).size === TOTAL, 10_000);
    await socket.close();
  });

  it('a removal A learns closes the device socket on B (which does not poll the key server) and B refuses it', async () => {
    const { a, b } = await pair({ revalidateB: 0 });
    const id = newAccountId();
    a.directory.accounts.set(id, [
      { deviceId: 1, registrationId: 7 },
      { deviceId: 2, registrationId: 8 },
    ]);
    const removed = a.credential(id, 2);
    const socket = await b.client.connect(removed, { autoAck: true });
    await socket.waitFor(() => socket.queueEmpty);
    // B authorized device 2 a moment ago: without a notice it would trust that list for its TTL and never look again.
    expect((await b.client.poll(removed)).status).toBe(200);
    a.directory.accounts.set(id, [{ deviceId: 1, registrationId: 7 }]);
    const closed = closeOf(socket.ws, 3_000);
    const learned = Date.now();
    expect((await a.client.poll(removed)).status).toBe(401);
    expect(await closed).toMatchObject({ code: 4403 });
    const ms = Date.now() - learned;
    expect((await b.client.poll(removed)).status).toBe(401);
    console.log(`cluster notices: device removal learned by A closed its socket on B within ${ms} ms`);
  });

  it('a provisioning mailbox opened on A is written through B; an unknown one is 404 on B', async () => {
    const { a, b } = await pair();
    const socket = new WebSocket(`${base(a).replace('http', 'ws')}/v1/provisioning`);
    const frames: Array<{ type: string; id?: string; body?: string }> = [];
    const address = await new Promise<{ id: string }>((resolve, reject) => {
      socket.on('message', (data) => {
        const f = JSON.parse(String(data)) as { type: string; id: string };
        frames.push(f);
        if (f.type === 'address') resolve(f);
      });
      socket.on('error', reject);
    });
    const closed = closeOf(socket, 3_000);
    const primary = newAccountId();
    a.directory.accounts.set(primary, [{ deviceId: 1, registrationId: 1 }]);
    const put = (id: string, body: string) =>
      fetch(`${base(b)}/v1/provisioning/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${a.credential(primary, 1)}` },
        body: JSON.stringify({ body }),
      });
    const body = Buffer.from(randomBytes(600)).toString('base64');
    expect((await put(address.id, body)).status).toBe(204);
    expect(await closed).toEqual({ code: 1000, reason: 'delivered' });
    expect(frames[1]).toEqual({ type: 'provision', body });
    // Single use, across instances too.
    expect((await put(address.id, body)).status).toBe(404);
    expect((await put(randomBytes(16).toString('base64url'), body)).status).toBe(404);
  });

  it("B's listener is killed: it reconnects, and a send it missed meanwhile is still pushed", async () => {
    // B waits 300–600 ms before reconnecting: long enough for a send to be published while it is away.
    const { a, b, notifierB } = await pair({ reconnectB: 600 });
    const id = newAccountId();
    a.directory.accounts.set(id, [{ deviceId: 1, registrationId: 7 }]);
    const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await a.client.setAccessKey(id, a.credential(id, 1), key)).status).toBe(204);
    const socket = await b.client.connect(a.credential(id, 1), { autoAck: true });
    await socket.waitFor(() => socket.queueEmpty);
    expect(notifierB.stats.connects).toBe(1);

    const admin = new pg.Client({ connectionString: db!.url });
    await admin.connect();
    try {
      // Every listener of this database goes (A's too); the next send is published while none listens.
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'sealpost-relay-listener'");
    } finally {
      await admin.end();
    }
    await until(() => !notifierB.live, 2_000, 'B notices its listener is gone');
    expect((await a.client.send(id, key, [{ deviceId: 1, registrationId: 7, content: fakeSealed(1) }])).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(notifierB.live).toBe(false);
    expect(socket.received).toHaveLength(0); // the notice went by while no one listened on B
    await socket.waitFor(() => socket.received.length === 1, 10_000);
    expect(notifierB.stats.connects).toBeGreaterThanOrEqual(2);
    // And notices flow again.
    expect((await a.client.send(id, key, [{ deviceId: 1, registrationId: 7, content: fakeSealed(2) }])).status).toBe(200);
    await socket.waitFor(() => socket.received.length === 2, 2_000);
    await socket.close();
  });
});
