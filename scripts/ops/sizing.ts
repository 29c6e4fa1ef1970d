/**
 * Storage sizing for docs/deploy.md: bytes on disk per account (one device
 * with a signed prekey, a Kyber last-resort key, 100 EC and 100 Kyber
 * one-time keys, as the client uploads) in the key server, and per queued
 * 1 KiB envelope in the relay — SQLite (file size after a checkpoint) and,
 * when SEALPOST_TEST_POSTGRES_URL is set, PostgreSQL
 * (pg_database_size of a fresh database, before minus after).
 *
 *   npx tsx scripts/ops/sizing.ts [accounts=2000] [envelopes=20000]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresKeyStore, SqliteKeyStore, type KeyStore } from '@sealpost/keyserver';
import { PostgresEnvelopeStore, SqliteEnvelopeStore, type EnvelopeStore } from '@sealpost/relay';
import { createTestDatabase, testPostgresUrl } from '@sealpost/devkit/postgres';

const accounts = Number(process.argv[2] ?? 2000);
const envelopes = Number(process.argv[3] ?? 20000);
const ONE_TIME = 100;

const ec = (): Uint8Array => Uint8Array.of(5, ...randomBytes(32));
const kyber = (): Uint8Array => Uint8Array.of(8, ...randomBytes(1568));
const sig = (): Uint8Array => randomBytes(64);

async function fillKeys(store: KeyStore): Promise<void> {
  const now = Date.now();
  for (let a = 0; a < accounts; a++) {
    const accountId = randomUUID();
    await store.createAccount({
      accountId,
      identityKey: ec(),
      registrationId: 1 + (a % 16000),
      secretHash: randomBytes(32),
      now,
      initialKeys: { signedPreKey: { keyId: 1, publicKey: ec(), signature: sig() }, pqLastResortPreKey: { keyId: 1, publicKey: kyber(), signature: sig() } },
    });
    const upload = {
      preKeys: Array.from({ length: ONE_TIME }, (_, i) => ({ keyId: i + 2, publicKey: ec() })),
      pqPreKeys: Array.from({ length: ONE_TIME }, (_, i) => ({ keyId: i + 2, publicKey: kyber(), signature: sig() })),
    };
    const r = await store.storeKeys(accountId, 1, upload, now, 1000);
    if (!r.ok) throw new Error(`upload refused: ${r.reason}`);
  }
}

async function fillQueue(store: EnvelopeStore): Promise<void> {
  const now = Date.now();
  const devices = Array.from({ length: 100 }, () => randomUUID());
  for (let i = 0; i < envelopes; i += 100) {
    await store.enqueue(devices.map((accountId) => ({ accountId, deviceId: 1, content: randomBytes(1024) })), now, 7 * 86_400_000, 100_000);
  }
}

function fileBytes(path: string): number {
  let n = 0;
  for (const suffix of ['', '-wal', '-shm']) n += statSync(path + suffix, { throwIfNoEntry: false })?.size ?? 0;
  return n;
}

async function sqliteRows(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-sizing-'));
  try {
    const ksPath = join(dir, 'ks.db');
    const ks = new SqliteKeyStore(ksPath);
    await fillKeys(ks);
    await ks.close();
    const rlPath = join(dir, 'relay.db');
    const rl = new SqliteEnvelopeStore({ path: rlPath });
    await fillQueue(rl);
    await rl.close();
    return [row('SQLite', fileBytes(ksPath), fileBytes(rlPath))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function databaseSize(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CHECKPOINT').catch(() => undefined);
    return Number((await c.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n);
  } finally {
    await c.end();
  }
}

async function postgresRows(): Promise<string[]> {
  if (testPostgresUrl() === undefined) return ['(PostgreSQL skipped: SEALPOST_TEST_POSTGRES_URL is not set)'];
  const ksDb = await createTestDatabase('sealpost_sizing');
  const rlDb = await createTestDatabase('sealpost_sizing');
  try {
    const ks = await PostgresKeyStore.open({ url: ksDb.url });
    const ksBase = await databaseSize(ksDb.url);
    await fillKeys(ks);
    await ks.close();
    const rl = await PostgresEnvelopeStore.open({ url: rlDb.url });
    const rlBase = await databaseSize(rlDb.url);
    await fillQueue(rl);
    await rl.close();
    return [row('PostgreSQL 15', (await databaseSize(ksDb.url)) - ksBase, (await databaseSize(rlDb.url)) - rlBase)];
  } finally {
    await ksDb.drop();
    await rlDb.drop();
  }
}

function row(engine: string, keyBytes: number, queueBytes: number): string {
  return `| ${engine} | ${(keyBytes / accounts / 1024).toFixed(1)} KiB | ${(queueBytes / envelopes).toFixed(0)} B |`;
}

console.log(`${accounts} accounts (1 device, ${ONE_TIME} EC + ${ONE_TIME} Kyber one-time keys each), ${envelopes} queued 1 KiB envelopes`);
console.log('| engine | key server, per account | relay, per queued 1 KiB envelope |');
console.log('|---|---|---|');
for (const line of [...(await sqliteRows()), ...(await postgresRows())]) console.log(line);
