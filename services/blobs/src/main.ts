/**
 * One-command start: `npx tsx services/blobs/src/main.ts --keyserver-public-key …`
 * (flags or BLOBS_* env, see config.ts). SIGINT/SIGTERM: stop accepting and exit.
 */
import pino from 'pino';
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
  const app = await buildBlobServer({ directory: config.directory, keyserverPublicKey: config.keyserverPublicKey, settings: config.settings, logLevel: config.logLevel, logStream });
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => (logStream.flushSync(), process.exit(0)),
      () => (logStream.flushSync(), process.exit(1)),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info({ address }, 'blob service listening');
}

void main();
