/**
 * One-command start: `npx tsx services/relay/src/main.ts --keyserver-url …
 * --keyserver-public-key …` (flags or RELAY_* env, see config.ts).
 * SIGINT/SIGTERM: stop accepting, close WebSockets, close the database.
 */
import { relayCredentialVerifier } from '@sealpost/keyserver/relay-credential.ts';
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
  const app = await buildRelay({
    verifyCredential: relayCredentialVerifier(config.keyserverPublicKey),
    keyserverUrl: config.keyserverUrl,
    deviceCacheTtlMs: config.deviceCacheTtlMs,
    dbPath: config.dbPath,
    synchronous: config.synchronous,
    limits: { messageTtlMs: config.messageTtlMs, maxEnvelopeBytes: config.maxEnvelopeBytes, maxQueueDepth: config.maxQueueDepth },
    expirySweepMs: config.expirySweepMs,
    log: { level: config.logLevel },
  });
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err: { message: (err as Error).message } }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
}

void main();
