/**
 * What `main.ts` reads from its flags and environment (the kit's loader;
 * flags win, every variable carries the `KEYSERVER_` prefix):
 *
 * | flag                 | variable                       | default        |
 * |----------------------|--------------------------------|----------------|
 * | --host               | KEYSERVER_HOST                 | 127.0.0.1      |
 * | --port               | KEYSERVER_PORT                 | 8080           |
 * | --db                 | KEYSERVER_DB                   | keyserver.db (':memory:' for a throwaway server) |
 * | --server-certificate | KEYSERVER_SERVER_CERTIFICATE   | none: sender certificates disabled |
 * | --relay-key          | KEYSERVER_RELAY_KEY            | none: relay credentials disabled |
 * | --relay-audiences    | KEYSERVER_RELAY_AUDIENCES      | none: any audience a client names (comma-separated relay origins) |
 * | --log-level          | KEYSERVER_LOG_LEVEL            | info           |
 * | --log-client-details | KEYSERVER_LOG_CLIENT_DETAILS   | false (true: request lines carry client address and URL; debugging only) |
 * | --registration-gate  | KEYSERVER_REGISTRATION_GATE    | off (token, proof-of-work) |
 * | --registration-token-keys | KEYSERVER_REGISTRATION_TOKEN_KEYS | none; comma-separated base64 raw Ed25519 public keys of the app backend |
 * | --registration-pow-difficulty | KEYSERVER_REGISTRATION_POW_DIFFICULTY | 20 (leading zero bits) |
 * | --device-list-trusted-addresses | KEYSERVER_DEVICE_LIST_TRUSTED_ADDRESSES | 127.0.0.0/8,::1/128 (the relays; comma-separated CIDR) |
 * | --database-url       | KEYSERVER_DATABASE_URL         | none: the SQLite file `--db`; postgres://… selects PostgreSQL (several instances may share it) |
 * | --database-pool-size | KEYSERVER_DATABASE_POOL_SIZE   | 10 (PostgreSQL connections per instance) |
 * | --database-statement-timeout-ms | KEYSERVER_DATABASE_STATEMENT_TIMEOUT_MS | 5000 (PostgreSQL statement timeout; 0 = none) |
 */
import { fromBase64 } from '@sealpost/protocol/primitives';
import {
  configUsage,
  loadConfig,
  parseBoolean,
  parseInteger,
  parseOneOf,
  parsePort,
  parseString,
  type Config,
  type ConfigSpec,
} from '@sealpost/service-kit';
import { parseAddressRanges } from './client-address.ts';

function parseList(text: string): string[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

function parseEd25519Keys(text: string): Uint8Array[] {
  const keys = parseList(text).map((k) => fromBase64(k));
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('must be base64 raw 32-byte Ed25519 public keys, comma-separated');
  return keys;
}

function parseCidrs(text: string): string[] {
  const list = parseList(text);
  parseAddressRanges(list);
  return list;
}

function parsePostgresUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('must be a postgres:// or postgresql:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error('must be a postgres:// or postgresql:// URL');
  return text;
}

/** The prefix of the key server's environment variables. */
export const KEYSERVER_ENV_PREFIX = 'KEYSERVER_';

/** The key server's start-up settings. */
export const KEYSERVER_START_SPEC = {
  host: { parse: parseString, default: '127.0.0.1', description: 'address to listen on' },
  port: { parse: parsePort, default: 8080, description: 'TCP port (0: any free port)' },
  db: { parse: parseString, default: 'keyserver.db', description: "SQLite file (':memory:' for a throwaway server)" },
  serverCertificate: { parse: parseString, description: 'server-certificate.json (enables sender certificates)' },
  relayKey: { parse: parseString, description: 'relay-credential-key.json (enables relay credentials)' },
  relayAudiences: { parse: parseString, description: 'comma-separated relay origins relay credentials may be issued for (default: any)' },
  logLevel: {
    parse: parseOneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'pino log level',
  },
  logClientDetails: { parse: parseBoolean, default: false, description: 'log client addresses and full URLs (debugging only: pairs IPs with the accounts they look up)' },
  registrationGate: {
    parse: parseOneOf(['off', 'token', 'proof-of-work']),
    default: 'off',
    description: 'account-creation gate: off, token (signed by the app backend) or proof-of-work',
  },
  registrationTokenKeys: { parse: parseEd25519Keys, description: 'app backend Ed25519 public keys (base64, comma-separated) for --registration-gate token' },
  registrationPowDifficulty: { parse: parseInteger(1, 40), default: 20, description: 'leading zero bits for --registration-gate proof-of-work' },
  deviceListTrustedAddresses: {
    parse: parseCidrs,
    default: ['127.0.0.0/8', '::1/128'],
    description: 'client addresses (CIDR, comma-separated) exempt from the device-list rate limit: the relays',
  },
  databaseUrl: {
    parse: parsePostgresUrl,
    description: 'PostgreSQL URL (postgres://user@host:port/db) instead of the SQLite file --db; several instances may share it',
  },
  databasePoolSize: { parse: parseInteger(1, 1000), description: 'PostgreSQL connections per instance (default 10)' },
  databaseStatementTimeoutMs: { parse: parseInteger(0, 3_600_000), description: 'PostgreSQL statement timeout in ms (default 5000; 0 = none)' },
} satisfies ConfigSpec;

/** Resolved start-up settings. */
export type KeyServerStartConfig = Config<typeof KEYSERVER_START_SPEC>;

/** Reads the start-up settings; throws the kit's `ConfigError` naming the bad flag or variable. */
export function loadKeyServerStartConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): KeyServerStartConfig {
  return loadConfig(KEYSERVER_START_SPEC, { envPrefix: KEYSERVER_ENV_PREFIX, argv, env });
}

/** One line per flag, for `--help`. */
export function keyServerUsage(): string {
  return `Usage: sealpost-keyserver [--flag value ...]\n\n${configUsage(KEYSERVER_START_SPEC, KEYSERVER_ENV_PREFIX)}\n`;
}
