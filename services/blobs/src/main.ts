/**
 * One-command start: `npx tsx services/blobs/src/main.ts --keyserver-public-key …`
 * (flags or BLOBS_* env, see config.ts). SIGINT/SIGTERM: stop accepting and exit.
 */
import pino from 'pino';
import { exitOnSignals } from '@sealpost/service-kit';
import { buildBlobServer } from './app.ts';
import { loadConfig } from './config.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`blobs: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const logStream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const app = await buildBlobServer({ directory: config.directory, keyserverPublicKey: config.keyserverPublicKey, settings: config.settings, databaseUrl: config.databaseUrl, logLevel: config.logLevel, logStream });
  exitOnSignals(app, { flush: () => logStream.flushSync() });
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info({ address }, 'blob service listening');
}

void main();
