/**
 * Helper process for store.test.ts: opens the store given as argv[2]
 * (`sqlite:<file>` or `postgres:<url>`), waits for "go" on stdin, takes
 * bundles for account argv[3] device 1 until an EC one-time key no longer
 * comes back (up to argv[4] fetches), and prints the EC and Kyber one-time
 * key ids it received as one JSON line.
 */
import type { KeyStore } from '../src/store/key-store.ts';
import { PostgresKeyStore } from '../src/store/pg-key-store.ts';
import { SqliteKeyStore } from '../src/store/sqlite-key-store.ts';

const [spec, accountId, maxArg] = process.argv.slice(2) as [string, string, string];
const store: KeyStore = spec.startsWith('postgres:') ? await PostgresKeyStore.open({ url: spec.slice('postgres:'.length) }) : new SqliteKeyStore(spec.slice('sqlite:'.length));
const ec: number[] = [];
const kyber: number[] = [];
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  for (let i = 0; i < Number(maxArg); i++) {
    const [b] = await store.takeBundles(accountId, 1);
    if (b === undefined) break;
    if (b.preKey !== undefined) ec.push(b.preKey.keyId);
    if (!b.pqPreKeyIsLastResort) kyber.push(b.pqPreKey.keyId);
  }
  await store.close();
  process.stdout.write(JSON.stringify({ ec, kyber }) + '\n');
  process.exit(0);
});
