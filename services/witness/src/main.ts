/**
 * One-command start: `sealpost-witness --name … --key … --logs …` (flags,
 * WITNESS_* env or `--config file.json`; `--help` lists them).
 * `sealpost-witness keygen --name N` prints a new secret key (base64) and
 * its cosignature/v1 vkey. SIGTERM/SIGINT drain: /ready answers 503, the
 * listener stops accepting, in-flight requests finish, the store closes,
 * exit 0 (1 after --shutdown-timeout-ms).
 */
import pino from 'pino';
import { ed25519Cosigner } from '@sealpost/keytrans';
import { randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { serveService } from '@sealpost/service-kit/runtime';
import { buildWitnessServer } from './app.ts';
import { loadConfig, witnessUsage } from './config.ts';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'keygen') {
    const i = argv.indexOf('--name');
    const name = i >= 0 ? argv[i + 1] : undefined;
    if (name === undefined) {
      process.stderr.write('usage: sealpost-witness keygen --name <key name>\n');
      process.exit(2);
    }
    const key = randomBytes(32);
    process.stdout.write(`key ${toBase64(key)}\nvkey ${ed25519Cosigner(name, key, () => 0).vkey}\n`);
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(witnessUsage());
    return;
  }
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (e) {
    process.stderr.write(`witness: ${(e as Error).message}\n\n${witnessUsage()}`);
    process.exit(2);
  }
  const logStream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const app = await buildWitnessServer({
    name: config.name,
    secretKey: config.secretKey,
    logVkeys: config.logVkeys,
    ...(config.databaseUrl === undefined ? { dbPath: config.db } : { databaseUrl: config.databaseUrl, postgres: config.postgres }),
    addCheckpointRateLimit: config.addCheckpointRateLimit,
    rateLimiterMaxKeys: config.rateLimiterMaxKeys,
    bodyLimit: config.bodyLimit,
    requestTimeoutMs: config.requestTimeoutMs,
    trustProxy: config.trustProxy,
    runtime: { metricsRoute: config.serve.metrics === 'same' },
    logLevel: config.logLevel,
    logStream,
  });
  const address = await serveService(app, { ...config.serve, flush: () => logStream.flushSync() });
  app.log.info({ address, vkey: app.witness.vkey, store: app.witnessStore.backend }, 'witness listening');
  // The log buffers 4 KiB; the start-up lines should not wait for that.
  logStream.flush();
}

void main(process.argv.slice(2).filter((a) => a !== '--'));
