/**
 * `pnpm --filter @sealpost/keyserver start [-- flags]` — runs a key server.
 *
 * Flags (or environment variables):
 *   --port / PORT                                 (default 8080)
 *   --host / HOST                                 (default 127.0.0.1)
 *   --db / KEYSERVER_DB                           (default ./keyserver.db; ':memory:' for a throwaway server)
 *   --server-certificate / KEYSERVER_SERVER_CERTIFICATE   server-certificate.json (enables sender certificates)
 *   --relay-key / KEYSERVER_RELAY_KEY             relay-credential-key.json (enables relay credentials)
 *   --log-level / LOG_LEVEL                       (default info)
 *
 * Make the key files with `npx tsx scripts/keyserver-trust-root.ts --out <dir>`.
 * SIGINT/SIGTERM close the listener, finish in-flight requests and close the database.
 */
import { parseArgs } from 'node:util';
import { buildKeyServer } from './app.ts';
import { readRelayKeyFile, readServerCertificateFile } from './key-files.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    db: { type: 'string' },
    'server-certificate': { type: 'string' },
    'relay-key': { type: 'string' },
    'log-level': { type: 'string' },
  },
  allowPositionals: false,
});

const port = Number(values.port ?? process.env.PORT ?? 8080);
const host = values.host ?? process.env.HOST ?? '127.0.0.1';
const dbPath = values.db ?? process.env.KEYSERVER_DB ?? 'keyserver.db';
const certPath = values['server-certificate'] ?? process.env.KEYSERVER_SERVER_CERTIFICATE;
const relayKeyPath = values['relay-key'] ?? process.env.KEYSERVER_RELAY_KEY;
const level = values['log-level'] ?? process.env.LOG_LEVEL ?? 'info';

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port ${String(values.port ?? process.env.PORT)}`);
  process.exit(2);
}

const serverCert = certPath === undefined ? undefined : readServerCertificateFile(certPath);
const relayKey = relayKeyPath === undefined ? undefined : readRelayKeyFile(relayKeyPath);

const app = await buildKeyServer({
  dbPath,
  logger: { level },
  ...(serverCert === undefined ? {} : { senderCertificate: { certificate: serverCert.certificate, privateKey: serverCert.privateKey } }),
  ...(relayKey === undefined ? {} : { relayCredentialKey: { privateKey: relayKey.privateKey, publicKey: relayKey.publicKey } }),
});
if (serverCert === undefined) app.log.warn('no --server-certificate: sender certificates disabled');
if (relayKey === undefined) app.log.warn('no --relay-key: relay credentials disabled');

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  });
}

await app.listen({ port, host });
