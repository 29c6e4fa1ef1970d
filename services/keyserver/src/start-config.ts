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
 */
import { configUsage, loadConfig, parseOneOf, parsePort, parseString, type Config, type ConfigSpec } from '@sealpost/service-kit';

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
