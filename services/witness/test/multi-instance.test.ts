/**
 * The stores themselves, each backend chosen here (so the `services-postgres`
 * project does not run this file again): the SQLite schema versioned over a
 * file made before it was (user_version 0), and — when
 * SEALPOST_TEST_POSTGRES_URL names a server — two witness instances (own
 * pools) on one PostgreSQL database: migrations applied once when both start
 * together, the FIRST checkpoint of never-seen logs raced from both (the
 * conditional-upsert path: no row to lock yet) with exactly one winner per
 * log, and the add-checkpoint rate limit shared between them; and two
 * witness PROCESSES (`src/main.ts`, `--database-url`) raced the same way, then
 * drained by SIGTERM to exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '@sealpost/devkit/postgres';
import { randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { WITNESS_PG_MIGRATIONS } from '../src/migrations.ts';
import { WitnessStore } from '../src/store.ts';
import { TestLog, addCheckpoint, startWitness, type RunningWitness } from './support/harness.ts';

const now = (): number => 1_800_000_000;
const MAIN = join(import.meta.dirname, '../src/main.ts');

/** A witness process on a free port; resolves once it logged its address. */
function startProcess(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  // node with tsx's loader (not the tsx wrapper), so the signal reaches the witness itself.
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args, '--port', '0', '--metrics', 'off', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`witness did not start: ${out}`));
    }, 60_000);
    const read = (d: Buffer) => {
      out += d.toString();
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, exited });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    void exited.then((code) => reject(new Error(`witness exited (${code}): ${out}`)));
  });
}
const running: RunningWitness[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.close()));
});

describe('SQLite schema', () => {
  it('takes over a file of the unversioned schema with its checkpoint, and versions it', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'witness-legacy-'));
    try {
      const path = join(tmp, 'w.sqlite');
      const log = new TestLog(randomBytes(32)).grow(3);
      const old = new Database(path);
      old.exec(`CREATE TABLE checkpoints (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL);
CREATE TABLE evidence (id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, kind TEXT NOT NULL, cosigned_note TEXT NOT NULL, refused_note TEXT NOT NULL, proof TEXT NOT NULL, old_size INTEGER NOT NULL, received_at INTEGER NOT NULL);`);
      old.prepare('INSERT INTO checkpoints VALUES (?, ?, ?, ?)').run(log.origin, 3, Buffer.from(log.dir.checkpoint(log.origin).rootHash), log.note());
      old.close();
      const w = await startWitness({ name: 'witness.test/w1', logVkeys: [log.signer.vkey], now, dbPath: path });
      running.push(w);
      expect(await addCheckpoint(w.url, log.body(0))).toMatchObject({ status: 409, text: '3\n' });
      log.grow(2);
      expect((await addCheckpoint(w.url, log.body(3))).status).toBe(200);
      await w.close();
      running.pop();
      const check = new Database(path);
      expect(check.pragma('user_version', { simple: true })).toBe(1);
      check.close();
      // reopening a current file changes nothing
      new WitnessStore(path).close();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe.runIf(postgresAvailable())('two witness instances on one PostgreSQL database', () => {
  it('both start at once: the migrations apply once', async () => {
    const db = await createTestDatabase('witness_t');
    try {
      const log = new TestLog(randomBytes(32));
      const [a, b] = await Promise.all([1, 2].map(() => startWitness({ name: 'witness.test/w1', logVkeys: [log.signer.vkey], now, databaseUrl: db.url })));
      running.push(a!, b!);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ version: number }>('SELECT version FROM witness_schema_migrations ORDER BY version');
      await client.end();
      expect(rows.map((r) => r.version)).toEqual(WITNESS_PG_MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(running.splice(0).map((w) => w.close()));
      await db.drop();
    }
  });

  it('first checkpoints of never-seen logs raced from both instances: exactly one wins per log, the others get 409 with its size', async () => {
    const db = await createTestDatabase('witness_t');
    try {
      const logs = Array.from({ length: 8 }, (_, i) => new TestLog(randomBytes(32), `sealpost.test/race-${i}`).grow(3));
      const secretKey = randomBytes(32);
      const opts = { name: 'witness.test/w1', secretKey, logVkeys: logs.map((l) => l.signer.vkey), now, databaseUrl: db.url };
      const a = await startWitness(opts);
      const b = await startWitness(opts);
      running.push(a, b);
      await Promise.all(
        logs.map(async (log) => {
          const small = log.body(0, 2);
          const large = log.body(0, 3);
          const results = await Promise.all([addCheckpoint(a.url, small), addCheckpoint(b.url, large), addCheckpoint(b.url, small), addCheckpoint(a.url, large)]);
          const statuses = results.map((r) => r.status);
          expect(statuses.filter((s) => s === 200), `${log.origin}: ${statuses.join(' ')}`).toHaveLength(1);
          const winner = statuses.indexOf(200) % 2 === 0 ? 2 : 3;
          for (const r of results.filter((x) => x.status !== 200)) expect(r).toMatchObject({ status: 409, text: `${winner}\n` });
        }),
      );
    } finally {
      await Promise.all(running.splice(0).map((w) => w.close()));
      await db.drop();
    }
  });

  it('the add-checkpoint rate limit is one bucket per address across the instances', async () => {
    const db = await createTestDatabase('witness_t');
    try {
      const log = new TestLog(randomBytes(32)).grow(1);
      const opts = { name: 'witness.test/w1', logVkeys: [log.signer.vkey], now, databaseUrl: db.url, addCheckpointRateLimit: { burst: 4, refillMs: 3_600_000 } };
      const a = await startWitness(opts);
      const b = await startWitness(opts);
      running.push(a, b);
      const statuses: number[] = [];
      for (const w of [a, b, a, b]) statuses.push((await addCheckpoint(w.url, 'x')).status);
      expect(statuses).toEqual([400, 400, 400, 400]);
      expect((await addCheckpoint(a.url, 'x')).status).toBe(429);
      expect((await addCheckpoint(b.url, 'x')).status).toBe(429);
    } finally {
      await Promise.all(running.splice(0).map((w) => w.close()));
      await db.drop();
    }
  });

  it('two witness processes on one database: concurrent add-checkpoints from one old size, exactly one wins per round; SIGTERM exits 0', async () => {
    const db = await createTestDatabase('witness_t');
    const children: ChildProcess[] = [];
    try {
      const log = new TestLog(randomBytes(32)).grow(3);
      const args = ['--name', 'witness.test/w1', '--key', toBase64(randomBytes(32)), '--logs', log.signer.vkey, '--database-url', db.url];
      const [a, b] = await Promise.all([startProcess(args), startProcess(args)]);
      children.push(a!.child, b!.child);
      expect((await addCheckpoint(a!.url, log.body(0))).status).toBe(200);
      let old = 3;
      for (let round = 0; round < 5; round++) {
        log.grow(1);
        const bodySmall = log.body(old);
        const small = log.dir.size;
        log.grow(2);
        const bodyLarge = log.body(old);
        const results = await Promise.all([addCheckpoint(a!.url, bodySmall), addCheckpoint(b!.url, bodyLarge), addCheckpoint(b!.url, bodySmall), addCheckpoint(a!.url, bodyLarge)]);
        const statuses = results.map((r) => r.status);
        expect(statuses.filter((st) => st === 200), `round ${round}: ${statuses.join(' ')}`).toHaveLength(1);
        const winner = statuses.indexOf(200) % 2 === 0 ? small : small + 2;
        for (const r of results.filter((x) => x.status !== 200)) expect(r).toMatchObject({ status: 409, text: `${winner}\n` });
        if (winner === small) expect((await addCheckpoint(b!.url, log.body(small))).status).toBe(200);
        old = log.dir.size;
      }
      a!.child.kill('SIGTERM');
      b!.child.kill('SIGTERM');
      expect(await Promise.all([a!.exited, b!.exited])).toEqual([0, 0]);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      await db.drop();
    }
  });
});
