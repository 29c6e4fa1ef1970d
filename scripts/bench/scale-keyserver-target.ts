/**
 * Child process of scripts/bench/scale.ts: one key server instance, with
 * every rate limit off (the benchmark is one client address) and logging
 * off, on a SQLite file (`--db`) or a PostgreSQL database several instances
 * share (`--database-url`). Prints one JSON line `{ url }` once listening;
 * on SIGTERM closes and prints (stderr) `{ cpuMicros }` used since then.
 *
 *   tsx scripts/bench/scale-keyserver-target.ts --db <file> | --database-url <postgres://…>
 */
import { parseArgs } from 'node:util';
import { buildKeyServer, generateRelayCredentialKeyPair } from '@sealpost/keyserver';

const { values } = parseArgs({ options: { db: { type: 'string' }, 'database-url': { type: 'string' } } });
const off = false as const;
const app = await buildKeyServer({
  ...(values['database-url'] === undefined ? { dbPath: values.db ?? ':memory:' } : { databaseUrl: values['database-url'] }),
  relayCredentialKey: generateRelayCredentialKeyPair(),
  docs: false,
  logger: false,
  settings: {
    bundleRateLimit: off,
    bundleTargetBudget: off,
    registrationRateLimit: off,
    keyUploadRateLimit: off,
    senderCertificateRateLimit: off,
    deviceListRateLimit: off,
    pruneIntervalMs: 0,
  },
});
await app.listen({ host: '127.0.0.1', port: 0 });
const atReady = process.cpuUsage();
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(atReady);
  void app.close().then(() => {
    console.error(JSON.stringify({ cpuMicros: cpu.user + cpu.system }));
    process.exit(0);
  });
});
console.log(JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }));
