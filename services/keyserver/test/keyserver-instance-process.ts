/**
 * Helper process for multi-instance.test.ts: one key-server instance (the
 * real app, `buildKeyServer`) on the PostgreSQL database argv[2], with the
 * settings given as JSON in argv[3], listening on 127.0.0.1 (random port).
 * Prints "listening <port>" once it accepts connections; SIGTERM closes it.
 */
import { exitOnSignals } from '@sealpost/service-kit';
import { buildKeyServer } from '../src/index.ts';

const [databaseUrl, settingsJson] = process.argv.slice(2) as [string, string];
const app = await buildKeyServer({ databaseUrl, docs: false, settings: JSON.parse(settingsJson) });
exitOnSignals(app);
await app.listen({ host: '127.0.0.1', port: 0, backlog: 2048 });
process.stdout.write(`listening ${(app.server.address() as { port: number }).port}\n`);
