/**
 * Start-up configuration from `--flags`, `WITNESS_*` environment variables
 * and a JSON `--config` file (flags > env > file > defaults), read with the
 * service kit's loader. `--help` and the README list every option.
 */
import { readFileSync } from 'node:fs';
import { loadConfig as loadKitConfig, parseList, parsePort, parseString, type ConfigSpec } from '@sealpost/service-kit';
import { fromBase64 } from '@sealpost/protocol/primitives';

export const WITNESS_CONFIG_SPEC = {
  host: { parse: parseString, default: '127.0.0.1', description: 'interface to listen on' },
  port: { parse: parsePort, default: 8085, description: 'TCP port' },
  db: { parse: parseString, default: 'witness.sqlite', description: 'SQLite file holding the latest cosigned checkpoint per log and the evidence' },
  name: { parse: parseString, required: true, description: "the witness's key name (e.g. witness.example.org/w1)" },
  key: { parse: parseString, required: true, description: 'the witness Ed25519 secret key, 32 bytes base64 or @file (see `keygen`)' },
  logs: { parse: parseList, required: true, description: 'the known logs: comma-separated Ed25519 note vkeys (`<origin>+<id>+<key>`); the key name is the origin' },
  logLevel: { parse: parseString, default: 'info', description: 'pino log level' },
} satisfies ConfigSpec;

export interface WitnessStartConfig {
  host: string;
  port: number;
  db: string;
  name: string;
  secretKey: Uint8Array;
  logVkeys: string[];
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
  return { host: c.host, port: c.port, db: c.db, name: c.name, secretKey: readSecretKey(c.key), logVkeys: c.logs, logLevel: c.logLevel };
}
