/**
 * One-command start: `npx tsx services/relay/src/main.ts --keyserver-url …
 * --keyserver-public-key …` (flags or RELAY_* env, see config.ts).
 * SIGINT/SIGTERM: stop accepting, close WebSockets, close the database.
 */
import pino from 'pino';
import { relayCredentialVerifier } from '@sealpost/protocol';
import { buildRelay } from './app.ts';
import { loadConfig } from './config.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`relay: ${(e as Error).message}\n`);
    process.exit(2);
  }
  // Asynchronous stdout (a synchronous write per request line would stall the event loop
  // whenever the pipe is slow); flushed before exit.
  const logDestination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const app = await buildRelay({
    verifyCredential: relayCredentialVerifier(config.keyserverPublicKey),
    keyserverUrl: config.keyserverUrl,
    deviceCacheTtlMs: config.deviceCacheTtlMs,
    deviceAuthTtlMs: config.deviceAuthTtlMs,
    deviceRevalidateMs: config.deviceRevalidateMs,
    ...(config.publicOrigin === undefined ? {} : { audience: config.publicOrigin }),
    accessKeyCacheTtlMs: config.accessKeyCacheTtlMs,
    dbPath: config.dbPath,
    synchronous: config.synchronous,
    keyserverTimeoutMs: config.keyserverTimeoutMs,
    limits: config.limits,
    expirySweepMs: config.expirySweepMs,
    log: { level: config.logLevel, stream: logDestination },
  });
  if (config.publicOrigin === undefined && !['127.0.0.1', '::1', 'localhost'].includes(config.host)) {
    app.log.warn(
      { host: config.host },
      'no --public-origin: relay credentials must name http://<host>:<port> as their audience; set it to the origin clients use',
    );
  }
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        logDestination.flushSync();
        process.exit(0);
      },
      (err: unknown) => {
        app.log.error({ err: { message: (err as Error).message } }, 'error while closing');
        logDestination.flushSync();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
}

void main();
