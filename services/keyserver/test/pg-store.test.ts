/**
 * What is particular to the PostgreSQL key store: migrations applied once
 * when instances start together, and the database's own failures —
 * unreachable, slower than the statement timeout, out of disk — answered as
 * a typed 503 `STORE_UNAVAILABLE` (with Retry-After) that leaves the data as
 * it was and the process serving. Runs when SEALPOST_TEST_POSTGRES_URL is set.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, postgresAvailable, testPostgresUrl, type TestDatabase } from '@sealpost/devkit/postgres';
import { fillFileSystem, mountTmpfs } from '@sealpost/devkit/services';
import { buildKeyServer, PG_MIGRATIONS, PostgresKeyStore } from '../src/index.ts';
import { b64, call, createAccount, ecPublicKey, kyberPublicKey, signedKey } from './support.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function database(): Promise<TestDatabase> {
  const d = await createTestDatabase('ks_pg');
  cleanups.push(() => d.drop());
  return d;
}

async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: testPostgresUrl()! });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

async function listen(store: PostgresKeyStore) {
  const app = await buildKeyServer({ store, closeStore: true, docs: false, settings: { registrationRateLimit: false, keyUploadRateLimit: false } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

/** The local `postgres` user when the test server runs on this machine (so it can use a tablespace this test mounts). */
function localPostgresUser(): { uid: number; gid: number } | undefined {
  const url = new URL(testPostgresUrl() ?? 'postgres://x');
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

describe.runIf(postgresAvailable())('PostgresKeyStore', () => {
  it('three stores opening one fresh database at once apply each migration once', async () => {
    const d = await database();
    const stores = await Promise.all([0, 1, 2].map(() => PostgresKeyStore.open({ url: d.url })));
    for (const s of stores) cleanups.push(() => s.close());
    const { rows } = await stores[0]!.pool.query('SELECT version, name FROM keyserver_schema_migrations ORDER BY version');
    expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    // Reopening applies nothing.
    const again = await PostgresKeyStore.open({ url: d.url });
    cleanups.push(() => again.close());
    expect((await again.pool.query('SELECT count(*)::int AS n FROM keyserver_schema_migrations')).rows[0].n).toBe(PG_MIGRATIONS.length);
  });

  it('an unreachable database is a typed STORE_UNAVAILABLE at start', async () => {
    // Port 1 on loopback: nothing listens there.
    await expect(PostgresKeyStore.open({ url: 'postgres://postgres@127.0.0.1:1/nothing' })).rejects.toMatchObject({ statusCode: 503, code: 'STORE_UNAVAILABLE' });
  });

  it('a statement slower than the timeout answers 503 STORE_UNAVAILABLE with Retry-After; nothing is stored and the server keeps serving', async () => {
    const d = await database();
    const server = await listen(await PostgresKeyStore.open({ url: d.url, statementTimeoutMs: 300 }));
    const me = await createAccount(server);
    // Another session holds the device row (as a stuck transaction would): the upload waits on it past the timeout.
    const blocker = new pg.Client({ connectionString: d.url });
    await blocker.connect();
    cleanups.push(() => blocker.end());
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM devices WHERE account_id = $1 AND device_id = 1 FOR UPDATE', [me.accountId]);
    const slow = await call(server, 'PUT', '/v1/keys', { auth: me.auth, body: { preKeys: [{ keyId: 1, publicKey: b64(ecPublicKey()) }] } });
    expect([slow.status, slow.body.error.code, slow.headers.get('retry-after')]).toEqual([503, 'STORE_UNAVAILABLE', '1']);
    expect(slow.body.error.message).toContain('did not answer in time');
    await blocker.query('ROLLBACK');
    expect((await call(server, 'GET', '/v1/keys/count', { auth: me.auth })).body).toEqual({ count: 0, pqCount: 0 });
    const retried = await call(server, 'PUT', '/v1/keys', { auth: me.auth, body: { preKeys: [{ keyId: 1, publicKey: b64(ecPublicKey()) }] } });
    expect([retried.status, retried.body]).toEqual([200, { count: 1, pqCount: 0 }]);
  });

  const owner = localPostgresUser();
  it.runIf(owner !== undefined)('a full disk (tablespace on a small tmpfs) answers 503 STORE_UNAVAILABLE, stores nothing, and recovers once space is free', async () => {
    const fs = mountTmpfs(16, 'ks-pg-full-');
    if (!fs.ok) throw new Error(`cannot mount a tmpfs for the disk-full test: ${fs.reason}`);
    cleanups.push(() => fs.unmount());
    const location = join(fs.dir, 'ts');
    mkdirSync(location);
    chownSync(fs.dir, owner!.uid, owner!.gid);
    chownSync(location, owner!.uid, owner!.gid);
    const tablespace = `ks_full_${Math.random().toString(36).slice(2, 10)}`;
    await adminQuery(`CREATE TABLESPACE ${tablespace} LOCATION '${location}'`);
    cleanups.push(async () => void (await adminQuery(`DROP TABLESPACE IF EXISTS ${tablespace}`)));
    const d = await database();
    await adminQuery(`ALTER DATABASE ${d.name} SET TABLESPACE ${tablespace}`);
    const server = await listen(await PostgresKeyStore.open({ url: d.url }));
    const me = await createAccount(server);
    const upload = (base: number) => ({ pqPreKeys: Array.from({ length: 100 }, (_, i) => signedKey(me.identity, base + i, kyberPublicKey())) });

    const filler = fillFileSystem(fs.dir);
    let full: Awaited<ReturnType<typeof call>> | undefined;
    // Pages already allocated may take a few uploads; the table must grow within a handful.
    for (let i = 0; i < 20 && full === undefined; i++) {
      const r = await call(server, 'PUT', '/v1/keys', { auth: me.auth, body: upload(1000 * (i + 1)) });
      if (r.status !== 200) full = r;
    }
    expect(full && [full.status, full.body.error.code, full.headers.get('retry-after')]).toEqual([503, 'STORE_UNAVAILABLE', '1']);
    expect(full!.body.error.message).toContain('out of space');
    const before = (await call(server, 'GET', '/v1/keys/count', { auth: me.auth })).body as { pqCount: number };
    expect(before.pqCount % 100).toBe(0); // all-or-nothing: no partial upload
    rmSync(filler);
    const after = await call(server, 'PUT', '/v1/keys', { auth: me.auth, body: upload(100_000) });
    expect([after.status, after.body.pqCount]).toEqual([200, before.pqCount + 100]);
  });
});
