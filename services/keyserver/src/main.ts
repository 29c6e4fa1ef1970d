/**
 * `sealpost-keyserver [flags]` — runs a key server; `sealpost-keyserver
 * keygen --out <dir>` makes its key files (keygen.ts); `sealpost-keyserver
 * backup --db <file> --out <file>` copies the SQLite database online. Settings: flags,
 * `KEYSERVER_*` variables, `--config file.json` (start-config.ts; `--help`
 * lists them). SIGTERM/SIGINT drain: /ready answers 503, the listener
 * stops accepting, in-flight requests finish, the database is flushed and
 * closed, exit 0 (1 after --shutdown-timeout-ms).
 */
import { ConfigError } from '@sealpost/service-kit';
import { serveService } from '@sealpost/service-kit/runtime';
import { runSqliteBackupCommand } from '@sealpost/service-kit/sqlite-backup';
import { buildKeyServer } from './app.ts';
import { readRelayKeyFile, readServerCertificateFile } from './key-files.ts';
import { runKeygen } from './keygen.ts';
import { ktSettingsOf } from './kt/kt-config.ts';
import { attachmentFormSettingsOf, keyServerSettingsOf, keyServerUsage, loadKeyServerStartConfig, type KeyServerStartConfig } from './start-config.ts';

const args = process.argv.slice(2);
if (args[0] === 'keygen') process.exit(runKeygen(args.slice(1)));
if (args[0] === 'backup') process.exit(await runSqliteBackupCommand(args.slice(1), 'keyserver'));
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(keyServerUsage());
  process.exit(0);
}

let config: KeyServerStartConfig;
let settings;
let keyTransparency;
try {
  config = loadKeyServerStartConfig(args, process.env);
  settings = keyServerSettingsOf(config);
  keyTransparency = ktSettingsOf(config);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(`keyserver: ${e.message}\n\n${keyServerUsage()}`);
  process.exit(2);
}

const serverCert = config.serverCertificate === undefined ? undefined : readServerCertificateFile(config.serverCertificate);
const relayKey = config.relayKey === undefined ? undefined : readRelayKeyFile(config.relayKey);

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
  corsOrigins: config.corsOrigins,
  settings,
  attachmentForms: attachmentFormSettingsOf(config),
  trustProxy: config.trustProxy,
  runtime: { metricsRoute: config.metrics === 'same' },
  ...(serverCert === undefined ? {} : { senderCertificate: { certificate: serverCert.certificate, privateKey: serverCert.privateKey } }),
  ...(relayKey === undefined ? {} : { relayCredentialKey: { privateKey: relayKey.privateKey, publicKey: relayKey.publicKey } }),
  ...(keyTransparency === undefined ? {} : { keyTransparency }),
});
if (keyTransparency === undefined) app.log.warn('no --kt-vrf-key / --kt-log-key: key transparency disabled');
else app.log.info({ origin: keyTransparency.origin, witnesses: keyTransparency.witnesses?.length ?? 0 }, 'key transparency on');
if (serverCert === undefined) app.log.warn('no --server-certificate: sender certificates disabled');
else app.log.info({ keyId: serverCert.keyId }, 'signing sender certificates with this server certificate');
if (relayKey === undefined) app.log.warn('no --relay-key: relay credentials disabled');

await serveService(app, config);
