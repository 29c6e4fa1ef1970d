/**
 * One-command start: `sealpost-blobs --keyserver-public-key …` (flags,
 * BLOBS_* env or `--config file.json`, see config.ts; `--help` lists them).
 * SIGTERM/SIGINT drain: /ready answers 503, the listener stops accepting,
 * in-flight uploads and downloads finish, exit 0.
 */
import pino from 'pino';
import { verifyUploadCapability } from '@sealpost/protocol';
import { rotatingVerifier } from '@sealpost/service-kit';
import { serveService } from '@sealpost/service-kit/runtime';
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
  const verifyCapability = rotatingVerifier(
    {
      current: config.keyserverPublicKey,
      ...(config.keyserverPreviousPublicKey === undefined ? {} : { previous: config.keyserverPreviousPublicKey }),
      ...(config.keyserverPreviousKeyUntil === undefined ? {} : { previousUntil: config.keyserverPreviousKeyUntil }),
    },
    (key) => (token, now) => verifyUploadCapability(token, key, now),
  );
  const app = await buildBlobServer({
    directory: config.directory,
    verifyCapability,
    settings: config.settings,
    trustProxy: config.trustProxy,
    databaseUrl: config.databaseUrl,
    runtime: { metricsRoute: config.serve.metrics === 'same' },
    logLevel: config.logLevel,
    logStream,
  });
  const address = await serveService(app, { ...config.serve, flush: () => logStream.flushSync() });
  app.log.info({ address }, 'blob service listening');
}

void main();
