/**
 * Helper process for store.test.ts: opens the SQLite file given as argv[2],
 * waits for "go" on stdin, takes bundles for account argv[3] device 1 until
 * an EC one-time key no longer comes back (up to argv[4] fetches), and prints
 * the EC and Kyber one-time key ids it received as one JSON line.
 */
import { SqliteKeyStore } from '../src/store/sqlite-key-store.ts';

const [path, accountId, maxArg] = process.argv.slice(2) as [string, string, string];
const store = new SqliteKeyStore(path);
const ec: number[] = [];
const kyber: number[] = [];
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
