/**
 * Backups, as docs/deploy.md describes them: `sealpost-keyserver backup`
 * (an online SQLite copy while the server takes writes) and `pg_dump` /
 * `pg_restore` for PostgreSQL; a key server started on the copy serves the
 * accounts that existed when the copy was made.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@sealpost/devkit/postgres';
import { buildKeyServer, type KeyServerOptions } from '../src/index.ts';
import { b64, call, createAccount, type DeviceLogin } from './support.ts';

const ROOT = join(import.meta.dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

const open: FastifyInstance[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const app of open.splice(0)) await app.close();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(options: KeyServerOptions): Promise<{ url: string }> {
  const app = await buildKeyServer({ docs: false, settings: { registrationRateLimit: false, bundleRateLimit: false }, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  open.push(app);
  return { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

/** Each account's identity key as the restored server hands it out in a bundle. */
async function expectServed(server: { url: string }, accounts: DeviceLogin[], asker: DeviceLogin): Promise<void> {
  for (const a of accounts) {
    const res = await call(server, 'GET', `/v1/keys/${a.accountId}/1`, { auth: asker.auth });
    expect(res.status).toBe(200);
    expect(res.body.identityKey).toBe(b64(a.identity.publicKey));
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('key server backups', () => {
  it('`sealpost-keyserver backup` copies the SQLite database while accounts are being created; the copy serves them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-backup-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const live = await serve({ dbPath: join(dir, 'live.db') });
    const before = await Promise.all(Array.from({ length: 20 }, () => createAccount(live)));
    // Writes keep coming while the backup runs.
    let writing = true;
    const during: Promise<DeviceLogin>[] = [];
    const writer = (async () => {
      while (writing) {
        during.push(createAccount(live));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const out = join(dir, 'copy.db');
    const result = await run(TSX, ['services/keyserver/src/main.ts', 'backup', '--db', join(dir, 'live.db'), '--out', out]);
    writing = false;
    await writer;
    await Promise.all(during);
    expect(during.length).toBeGreaterThan(0);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ out });
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const restored = await serve({ dbPath: out });
    await expectServed(restored, before, before[0]!);
    // A second backup never overwrites, and bad arguments are refused.
    expect((await run(TSX, ['services/keyserver/src/main.ts', 'backup', '--db', join(dir, 'live.db'), '--out', out])).code).toBe(1);
    expect((await run(TSX, ['services/keyserver/src/main.ts', 'backup', '--db', join(dir, 'live.db')])).code).toBe(2);
  });

  it.runIf(postgresAvailable() && spawnSync('pg_dump', ['--version']).status === 0)(
    'pg_dump of a live PostgreSQL database, pg_restore into a new one: a key server on it serves the accounts',
    async () => {
      const source: TestDatabase = await createTestDatabase();
      const target: TestDatabase = await createTestDatabase();
      cleanups.push(() => source.drop(), () => target.drop());
      const dir = mkdtempSync(join(tmpdir(), 'ks-pgdump-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const live = await serve({ databaseUrl: source.url });
      const accounts = await Promise.all(Array.from({ length: 20 }, () => createAccount(live)));
      const dump = join(dir, 'keyserver.dump');
      const dumped = await run('pg_dump', ['--format=custom', '--no-owner', '--file', dump, source.url]);
      expect(dumped.code, dumped.stderr).toBe(0);
      const restoredDb = await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', target.url, dump]);
      expect(restoredDb.code, restoredDb.stderr).toBe(0);
      const restored = await serve({ databaseUrl: target.url });
      await expectServed(restored, accounts, accounts[0]!);
      // The restored schema is current: the server applied no migration and is ready.
      expect((await call(restored, 'GET', '/ready')).status).toBe(200);
    },
  );
});
