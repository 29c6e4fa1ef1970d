/**
 * Start-up configuration from environment variables and `--flags`
 * (flags win). Every value has a default except the key server's URL and
 * relay-credential public key, which the relay cannot work without.
 *
 * | flag                    | env                         | default        |
 * |-------------------------|-----------------------------|----------------|
 * | --host                  | RELAY_HOST                  | 127.0.0.1      |
 * | --port                  | RELAY_PORT                  | 8081           |
 * | --db                    | RELAY_DB                    | relay.sqlite   |
 * | --synchronous           | RELAY_SYNCHRONOUS           | NORMAL         |
 * | --keyserver-url         | RELAY_KEYSERVER_URL         | (required)     |
 * | --keyserver-public-key  | RELAY_KEYSERVER_PUBLIC_KEY  | (required; base64, or @path to a file holding it or the key server's relay-credential key JSON) |
 * | --device-cache-ttl-ms   | RELAY_DEVICE_CACHE_TTL_MS   | 5000           |
 * | --message-ttl-seconds   | RELAY_MESSAGE_TTL_SECONDS   | 604800 (7 d)   |
 * | --max-envelope-bytes    | RELAY_MAX_ENVELOPE_BYTES    | 262144         |
 * | --max-queue-depth       | RELAY_MAX_QUEUE_DEPTH       | 10000          |
 * | --expiry-sweep-ms       | RELAY_EXPIRY_SWEEP_MS       | 60000          |
 * | --log-level             | RELAY_LOG_LEVEL             | info           |
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_LIMITS } from './context.ts';

/** Resolved start-up configuration. */
export interface RelayStartConfig {
  host: string;
  port: number;
  dbPath: string;
  synchronous: 'NORMAL' | 'FULL';
  keyserverUrl: string;
  keyserverPublicKey: Uint8Array;
  deviceCacheTtlMs: number;
  messageTtlMs: number;
  maxEnvelopeBytes: number;
  maxQueueDepth: number;
  expirySweepMs: number;
  logLevel: string;
}

function flagsOf(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else {
      const v = argv[i + 1];
      if (v === undefined) throw new Error(`flag ${a} needs a value`);
      flags.set(a.slice(2), v);
      i++;
    }
  }
  return flags;
}

/** Parses flags and environment; throws a readable Error on bad values. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): RelayStartConfig {
  const flags = flagsOf(argv);
  const get = (flag: string, envName: string): string | undefined => flags.get(flag) ?? env[envName];
  const int = (flag: string, envName: string, dflt: number): number => {
    const v = get(flag, envName);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a non-negative integer, got ${v}`);
    return n;
  };
  const keyserverUrl = get('keyserver-url', 'RELAY_KEYSERVER_URL');
  if (keyserverUrl === undefined) throw new Error('--keyserver-url (RELAY_KEYSERVER_URL) is required');
  let keyText = get('keyserver-public-key', 'RELAY_KEYSERVER_PUBLIC_KEY');
  if (keyText === undefined) throw new Error('--keyserver-public-key (RELAY_KEYSERVER_PUBLIC_KEY) is required');
  if (keyText.startsWith('@')) {
    keyText = readFileSync(keyText.slice(1), 'utf8').trim();
    // Also accept the key server's relay-credential key file (JSON with `publicKey`).
    if (keyText.startsWith('{')) keyText = String((JSON.parse(keyText) as { publicKey?: unknown }).publicKey ?? '');
  }
  const keyserverPublicKey = new Uint8Array(Buffer.from(keyText, 'base64'));
  if (keyserverPublicKey.length === 0) throw new Error('keyserver public key must be base64');
  const synchronous = (get('synchronous', 'RELAY_SYNCHRONOUS') ?? 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new Error('--synchronous must be NORMAL or FULL');
  return {
    host: get('host', 'RELAY_HOST') ?? '127.0.0.1',
    port: int('port', 'RELAY_PORT', 8081),
    dbPath: get('db', 'RELAY_DB') ?? 'relay.sqlite',
    synchronous,
    keyserverUrl,
    keyserverPublicKey,
    deviceCacheTtlMs: int('device-cache-ttl-ms', 'RELAY_DEVICE_CACHE_TTL_MS', 5000),
    messageTtlMs: int('message-ttl-seconds', 'RELAY_MESSAGE_TTL_SECONDS', DEFAULT_LIMITS.messageTtlMs / 1000) * 1000,
    maxEnvelopeBytes: int('max-envelope-bytes', 'RELAY_MAX_ENVELOPE_BYTES', DEFAULT_LIMITS.maxEnvelopeBytes),
    maxQueueDepth: int('max-queue-depth', 'RELAY_MAX_QUEUE_DEPTH', DEFAULT_LIMITS.maxQueueDepth),
    expirySweepMs: int('expiry-sweep-ms', 'RELAY_EXPIRY_SWEEP_MS', 60_000),
    logLevel: get('log-level', 'RELAY_LOG_LEVEL') ?? 'info',
  };
}
