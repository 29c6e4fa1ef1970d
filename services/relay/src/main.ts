/**
 * One-command start: `npx tsx services/relay/src/main.ts --keyserver-url …
 * --keyserver-public-key …` (flags or RELAY_* env, see config.ts).
 * SIGINT/SIGTERM: stop accepting, close WebSockets, close the database.
 */
import pino from 'pino';
import { relayCredentialVerifier } from '@sealpost/protocol';
import { exitOnSignals } from '@sealpost/service-kit';
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
    ...(config.database === undefined ? {} : { database: config.database }),
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
  exitOnSignals(app, { flush: () => logDestination.flushSync() });
  await app.listen({ host: config.host, port: config.port });
}

void main();
