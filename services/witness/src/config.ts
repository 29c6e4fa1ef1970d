/**
 * Start-up configuration from `--flags`, `WITNESS_*` environment variables
 * and a JSON `--config` file (flags > env > file > defaults), read with the
 * service kit's loader. `--help` and the README list every option.
 */
import { readFileSync } from 'node:fs';
import {
  configUsage,
  loadConfig as loadKitConfig,
  parseInteger,
  parseList,
  parseOneOf,
  parsePort,
  parseRateLimit,
  parseString,
  showRateLimit,
  type ConfigSpec,
} from '@sealpost/service-kit';
import { runtimeConfigSpec, serveOptionsOf, type ServeOptions } from '@sealpost/service-kit/runtime';
import { fromBase64 } from '@sealpost/protocol/primitives';
import { DEFAULT_ADD_CHECKPOINT_RATE_LIMIT, type RateLimit } from './rate-limit.ts';

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

const rateDefault = DEFAULT_ADD_CHECKPOINT_RATE_LIMIT as RateLimit | false;

export const WITNESS_CONFIG_SPEC = {
  host: { parse: parseString, default: '127.0.0.1', description: 'interface to listen on' },
  port: { parse: parsePort, default: 8085, description: 'TCP port (0: any free port)' },
  db: { parse: parseString, default: 'witness.sqlite', description: 'SQLite file holding the latest cosigned checkpoint per log and the evidence' },
  databaseUrl: {
    parse: parsePostgresUrl,
    description: 'PostgreSQL URL (postgres://user@host:port/db) instead of the SQLite file --db; several instances of one witness (same key) may share it',
  },
  databasePoolSize: { parse: parseInteger(1, 1000), description: 'PostgreSQL connections per instance (default 10)' },
  databaseStatementTimeoutMs: { parse: parseInteger(0, 3_600_000), description: 'PostgreSQL statement timeout in ms (default 5000; 0 = none)' },
  name: { parse: parseString, required: true, description: "the witness's key name (e.g. witness.example.org/w1)" },
  key: { parse: parseString, required: true, description: 'the witness Ed25519 secret key, 32 bytes base64 or @file (see `keygen`)' },
  logs: { parse: parseList, required: true, description: 'the known logs: comma-separated Ed25519 note vkeys (`<origin>+<id>+<key>`); the key name is the origin' },
  addCheckpointRateLimit: {
    parse: parseRateLimit,
    default: rateDefault,
    showDefault: showRateLimit(rateDefault),
    description: 'add-checkpoint requests per client address (IPv6 /64), shared by the instances on PostgreSQL (<burst>/<refill ms>, or off)',
  },
  rateLimiterMaxKeys: { parse: parseInteger(1), default: 100_000, description: 'most client addresses the in-memory rate limiter tracks (full: 429 for new ones)' },
  bodyLimit: { parse: parseInteger(1024, 16 * 1024 * 1024), default: 64 * 1024, description: 'largest add-checkpoint body, bytes' },
  requestTimeoutMs: { parse: parseInteger(0, 600_000), default: 10_000, description: 'longest a request may take to arrive, ms (0: no limit); slower ones get 408' },
  ...runtimeConfigSpec({ metricsPort: 9185 }),
  logLevel: { parse: parseOneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info', description: 'pino log level' },
} satisfies ConfigSpec;

export interface WitnessStartConfig {
  host: string;
  port: number;
  db: string;
  databaseUrl: string | undefined;
  postgres: { maxConnections?: number; statementTimeoutMs?: number };
  name: string;
  secretKey: Uint8Array;
  logVkeys: string[];
  addCheckpointRateLimit: RateLimit | false;
  rateLimiterMaxKeys: number;
  bodyLimit: number;
  requestTimeoutMs: number;
  trustProxy: string[];
  /** Listening, metrics and shutdown (service kit `serveService`). */
  serve: ServeOptions;
  logLevel: string;
}

/** A 32-byte key given as base64 or `@file` (whose content is base64). */
export function readSecretKey(text: string): Uint8Array {
  const b64 = (text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text).trim();
  const key = fromBase64(b64);
  if (key.length !== 32) throw new Error('the witness key must be 32 bytes (base64)');
  return key;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): WitnessStartConfig {
  const c = loadKitConfig(WITNESS_CONFIG_SPEC, { envPrefix: 'WITNESS_', argv, env });
  return {
    host: c.host,
    port: c.port,
    db: c.db,
    databaseUrl: c.databaseUrl,
    postgres: {
      ...(c.databasePoolSize === undefined ? {} : { maxConnections: c.databasePoolSize }),
      ...(c.databaseStatementTimeoutMs === undefined ? {} : { statementTimeoutMs: c.databaseStatementTimeoutMs }),
    },
    name: c.name,
    secretKey: readSecretKey(c.key),
    logVkeys: c.logs,
    addCheckpointRateLimit: c.addCheckpointRateLimit,
    rateLimiterMaxKeys: c.rateLimiterMaxKeys,
    bodyLimit: c.bodyLimit,
    requestTimeoutMs: c.requestTimeoutMs,
    trustProxy: c.trustProxy,
    serve: serveOptionsOf(c),
    logLevel: c.logLevel,
  };
}

/** `--help`. */
export function witnessUsage(): string {
  return (
    `Usage: sealpost-witness --name NAME --key KEY --logs VKEY[,VKEY...] [--flag value ...]\n` +
    `       sealpost-witness keygen --name NAME\n\n` +
    `Runs a C2SP tlog-witness for Sealpost's key-transparency log (and any Ed25519 note log).\n` +
    `Settings: flags > WITNESS_* variables > --config file > defaults.\n\n${configUsage(WITNESS_CONFIG_SPEC, 'WITNESS_')}\n`
  );
}
