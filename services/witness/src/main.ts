/**
 * One-command start: `sealpost-witness --name … --key … --logs …` (flags,
 * WITNESS_* env or `--config file.json`). `sealpost-witness keygen --name N`
 * prints a new secret key (base64) and its cosignature/v1 vkey.
 */
import pino from 'pino';
import { ed25519Cosigner } from '@sealpost/keytrans';
import { randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { buildWitnessServer } from './app.ts';
import { loadConfig } from './config.ts';
import { WitnessStore } from './store.ts';

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
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (e) {
    process.stderr.write(`witness: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const store = new WitnessStore(config.db);
  const app = await buildWitnessServer({
    name: config.name,
    secretKey: config.secretKey,
    logVkeys: config.logVkeys,
    store,
    logLevel: config.logLevel,
    logStream: pino.destination(1),
  });
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info({ address, vkey: app.witness.vkey }, 'witness listening');
  const stop = (): void => {
    void app.close().then(() => {
      store.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main(process.argv.slice(2).filter((a) => a !== '--'));
