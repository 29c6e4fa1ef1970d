/**
 * `pnpm --filter @sealpost/keyserver start [-- flags]` — runs a key server.
 * Flags and `KEYSERVER_*` variables: start-config.ts (`--help` lists them).
 *
 * Make the key files with `npx tsx scripts/keyserver-trust-root.ts --out <dir>`.
 * SIGINT/SIGTERM close the listener, finish in-flight requests and close the database.
 */
import { ConfigError, exitOnSignals } from '@sealpost/service-kit';
import { buildKeyServer } from './app.ts';
import { readRelayKeyFile, readServerCertificateFile } from './key-files.ts';
import type { RegistrationGateSettings } from './registration-gate.ts';
import { keyServerUsage, loadKeyServerStartConfig, type KeyServerStartConfig } from './start-config.ts';

if (process.argv.includes('--help')) {
  process.stdout.write(keyServerUsage());
  process.exit(0);
}

let config: KeyServerStartConfig;
try {
  config = loadKeyServerStartConfig(process.argv.slice(2), process.env);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(`${e.message}\n\n${keyServerUsage()}`);
  process.exit(2);
}

const serverCert = config.serverCertificate === undefined ? undefined : readServerCertificateFile(config.serverCertificate);
const relayKey = config.relayKey === undefined ? undefined : readRelayKeyFile(config.relayKey);

let registrationGate: RegistrationGateSettings = { mode: 'off' };
if (config.registrationGate === 'token') {
  if (config.registrationTokenKeys === undefined) {
    console.error('--registration-gate token needs --registration-token-keys');
    process.exit(2);
  }
  registrationGate = { mode: 'token', publicKeys: config.registrationTokenKeys };
} else if (config.registrationGate === 'proof-of-work') {
  registrationGate = { mode: 'proof-of-work', difficulty: config.registrationPowDifficulty };
}

const app = await buildKeyServer({
  dbPath: config.db,
  ...(config.databaseUrl === undefined
    ? {}
    : {
        databaseUrl: config.databaseUrl,
        postgres: {
          ...(config.databasePoolSize === undefined ? {} : { maxConnections: config.databasePoolSize }),
          ...(config.databaseStatementTimeoutMs === undefined ? {} : { statementTimeoutMs: config.databaseStatementTimeoutMs }),
        },
      }),
  logger: { level: config.logLevel },
  settings: { logClientDetails: config.logClientDetails, registrationGate, deviceListTrustedAddresses: config.deviceListTrustedAddresses,
    ...(config.relayAudiences === undefined ? {} : { relayAudiences: config.relayAudiences.split(',').map((a) => a.trim()).filter((a) => a.length > 0) }) },
  ...(serverCert === undefined ? {} : { senderCertificate: { certificate: serverCert.certificate, privateKey: serverCert.privateKey } }),
  ...(relayKey === undefined ? {} : { relayCredentialKey: { privateKey: relayKey.privateKey, publicKey: relayKey.publicKey } }),
});
if (serverCert === undefined) app.log.warn('no --server-certificate: sender certificates disabled');
if (relayKey === undefined) app.log.warn('no --relay-key: relay credentials disabled');

exitOnSignals(app, { forceAfterMs: 10_000 });

await app.listen({ port: config.port, host: config.host });
