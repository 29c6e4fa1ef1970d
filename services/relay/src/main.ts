/**
 * One-command start: `sealpost-relay --keyserver-url … --keyserver-public-key …`
 * (flags, RELAY_* env or `--config file.json`, see config.ts; `--help`
 * lists them). SIGTERM/SIGINT drain: /ready answers 503, WebSockets are
 * closed with 1012 (reconnect), the listener stops accepting, in-flight
 * requests finish, the database is flushed and closed, exit 0.
 */
import pino from 'pino';
import { relayCredentialVerifier } from '@sealpost/protocol';
import { rotatingVerifier } from '@sealpost/service-kit';
import { serveService } from '@sealpost/service-kit/runtime';
import { runSqliteBackupCommand } from '@sealpost/service-kit/sqlite-backup';
import { buildRelay } from './app.ts';
import { loadConfig } from './config.ts';

async function main(): Promise<void> {
  // `sealpost-relay backup --db relay.db --out backup.db`: an online copy of the SQLite queue.
  if (process.argv[2] === 'backup') process.exit(await runSqliteBackupCommand(process.argv.slice(3), 'relay'));
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
  const verifyCredential = rotatingVerifier(
    {
      current: config.keyserverPublicKey,
      ...(config.keyserverPreviousPublicKey === undefined ? {} : { previous: config.keyserverPreviousPublicKey }),
      ...(config.keyserverPreviousKeyUntil === undefined ? {} : { previousUntil: config.keyserverPreviousKeyUntil }),
    },
    (key) => relayCredentialVerifier(key),
  );
  const app = await buildRelay({
    verifyCredential,
    credentialCacheSize: config.credentialCacheSize,
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
    provisioning: config.provisioning,
    expirySweepMs: config.expirySweepMs,
    trustProxy: config.trustProxy,
    runtime: { metricsRoute: config.serve.metrics === 'same' },
    log: { level: config.logLevel, stream: logDestination },
    corsOrigins: config.corsOrigins,
  });
  if (config.publicOrigin === undefined && !['127.0.0.1', '::1', 'localhost'].includes(config.host)) {
    app.log.warn(
      { host: config.host },
      'no --public-origin: relay credentials must name http://<host>:<port> as their audience; set it to the origin clients use',
    );
  }
  if (config.keyserverPreviousPublicKey !== undefined) {
    app.log.info(
      { until: config.keyserverPreviousKeyUntil === undefined ? 'while configured' : new Date(config.keyserverPreviousKeyUntil).toISOString() },
      'key rotation: credentials signed with the previous key server key are accepted',
    );
  }
  await serveService(app, { ...config.serve, flush: () => logDestination.flushSync() });
}

void main();
