/** Start-up configuration: flags win over environment, defaults fill the rest, bad values are refused. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configMarkdown, configUsage } from '@sealpost/service-kit';
import { DEFAULT_LIMITS } from '../src/index.ts';
import { loadConfig, RELAY_CONFIG_SPEC } from '../src/config.ts';
import { DEFAULT_PROVISIONING_LIMITS } from '../src/routes/provisioning.ts';

const key = Buffer.alloc(32, 5).toString('base64');

describe('relay configuration', () => {
  it('reads flags and env, flags first, with defaults', () => {
    const c = loadConfig(['--port', '9000', '--max-queue-depth=50'], {
      RELAY_KEYSERVER_URL: 'http://127.0.0.1:8080',
      RELAY_KEYSERVER_PUBLIC_KEY: key,
      RELAY_PORT: '1',
      RELAY_MESSAGE_TTL_SECONDS: '60',
    });
    expect(c).toMatchObject({ port: 9000, maxQueueDepth: 50, messageTtlMs: 60_000, host: '127.0.0.1', synchronous: 'NORMAL', maxEnvelopeBytes: 262144 });
    expect(c.keyserverPublicKey).toEqual(new Uint8Array(32).fill(5));
  });

  it('reads every hardening limit (flags and RELAY_* env) into limits, defaults elsewhere', () => {
    const c = loadConfig(['--keyserver-url', 'http://x', '--keyserver-public-key', key, '--ws-max-connections', '7', '--max-queue-bytes=4096'], {
      RELAY_MIN_FREE_DISK_BYTES: '1048576',
      RELAY_RECIPIENT_SOURCE_BURST: '0',
      RELAY_KEYSERVER_TIMEOUT_MS: '750',
    });
    expect(c.limits).toMatchObject({ wsMaxConnections: 7, maxQueueBytes: 4096, minFreeDiskBytes: 1048576, recipientSourceBurst: 0, wsMaxAckIds: 100, maxQueueDepth: 10000 });
    expect(c.keyserverTimeoutMs).toBe(750);
    expect(() => loadConfig(['--keyserver-url', 'http://x', '--keyserver-public-key', key, '--ws-max-ack-ids', 'many'], {})).toThrow(/ws-max-ack-ids/);
  });

  it("takes the public key from a file, plain base64 or the key server's JSON key file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
    writeFileSync(join(dir, 'plain'), `${key}\n`);
    writeFileSync(join(dir, 'key.json'), JSON.stringify({ type: 'sealpost-relay-credential-key', publicKey: key, privateKey: key }));
    for (const f of ['plain', 'key.json']) {
      const c = loadConfig(['--keyserver-url', 'http://x', '--keyserver-public-key', `@${join(dir, f)}`], {});
      expect(c.keyserverPublicKey).toEqual(new Uint8Array(32).fill(5));
    }
  });

  it('refuses missing or bad values with a readable message', () => {
    expect(() => loadConfig([], {})).toThrow(/keyserver-url/);
    expect(() => loadConfig(['--keyserver-url', 'http://x'], {})).toThrow(/keyserver-public-key/);
    const ok = ['--keyserver-url', 'http://x', '--keyserver-public-key', key];
    expect(() => loadConfig([...ok, '--port', '-1'], {})).toThrow(/port/);
    expect(() => loadConfig([...ok, '--synchronous', 'OFF'], {})).toThrow(/synchronous/);
    expect(() => loadConfig([...ok, 'stray'], {})).toThrow(/unexpected argument/);
  });

  it('every limit has its built-in default; rotation, provisioning, runtime settings; a --config file under flags and env', () => {
    const ok = ['--keyserver-url', 'http://x', '--keyserver-public-key', key];
    const c = loadConfig(ok, {});
    expect(c.limits).toEqual(DEFAULT_LIMITS);
    expect(c.provisioning).toEqual(DEFAULT_PROVISIONING_LIMITS);
    expect(c).toMatchObject({ credentialCacheSize: 10_000, keyserverPreviousPublicKey: undefined, keyserverPreviousKeyUntil: undefined, trustProxy: [] });
    expect(c.serve).toEqual({ host: '127.0.0.1', port: 8081, metrics: 'separate', metricsHost: '127.0.0.1', metricsPort: 9181, shutdownDelayMs: 0, shutdownTimeoutMs: 10_000 });

    const previous = Buffer.alloc(32, 6).toString('base64');
    const r = loadConfig([...ok, '--keyserver-previous-public-key', previous, '--keyserver-previous-key-until', '2026-12-01T18:00:00Z', '--ws-heartbeat-ms', '5000'], {});
    expect(r.keyserverPreviousPublicKey).toEqual(new Uint8Array(32).fill(6));
    expect(r.keyserverPreviousKeyUntil).toBe(Date.parse('2026-12-01T18:00:00Z'));
    expect(r.limits.wsHeartbeatMs).toBe(5000);
    expect(loadConfig([...ok, '--keyserver-previous-key-until', '1764612000000'], {}).keyserverPreviousKeyUntil).toBe(1764612000000);
    expect(() => loadConfig([...ok, '--keyserver-previous-key-until', 'tomorrow'], {})).toThrow(/keyserver-previous-key-until: must be ms since the epoch or an ISO 8601/);

    const dir = mkdtempSync(join(tmpdir(), 'relay-config-file-'));
    const file = join(dir, 'relay.json');
    writeFileSync(file, JSON.stringify({ keyserverUrl: 'http://file', 'keyserver-public-key': key, maxQueueDepth: 9, port: 1, provisioningTtlMs: 1000, metrics: 'off' }));
    const f = loadConfig(['--config', file, '--port', '2'], { RELAY_MAX_QUEUE_DEPTH: '8' });
    expect(f).toMatchObject({ keyserverUrl: 'http://file', port: 2, maxQueueDepth: 8, provisioning: { ttlMs: 1000 }, serve: { metrics: 'off', port: 2 } });
    writeFileSync(file, JSON.stringify({ keyserverUrl: 'http://file', maxQueueDeep: 9 }));
    expect(() => loadConfig(['--config', file], {})).toThrow(`config file ${file}: unknown setting "maxQueueDeep"`);

    const usage = configUsage(RELAY_CONFIG_SPEC, 'RELAY_');
    for (const name of Object.keys(RELAY_CONFIG_SPEC)) expect(usage).toContain(`--${name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)} / RELAY_`);
  });

  it('the README option table is the spec (npx tsx scripts/options-tables.ts rewrites it)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`<!-- options:start -->\n${configMarkdown(RELAY_CONFIG_SPEC, 'RELAY_')}\n<!-- options:end -->`);
  });

  it('--database-url selects PostgreSQL with pool size and statement timeout; bad URLs are refused without echoing them', () => {
    const ok = ['--keyserver-url', 'http://x', '--keyserver-public-key', key];
    expect(loadConfig(ok, {}).database).toBeUndefined();
    const c = loadConfig([...ok, '--database-pool-size', '4'], { RELAY_DATABASE_URL: 'postgres://relay@db.internal:5432/relay', RELAY_DATABASE_STATEMENT_TIMEOUT_MS: '750' });
    expect(c.database).toEqual({ url: 'postgres://relay@db.internal:5432/relay', poolSize: 4, statementTimeoutMs: 750 });
    expect(loadConfig([...ok, '--database-url', 'postgresql://h/db'], {}).database).toMatchObject({ poolSize: 10, statementTimeoutMs: 5000 });
    expect(() => loadConfig([...ok, '--database-url', 'mysql://u:secret@h/db'], {})).toThrow(/database-url/);
    expect(() => loadConfig([...ok, '--database-url', 'mysql://u:secret@h/db'], {})).not.toThrow(/secret/);
    expect(() => loadConfig([...ok, '--database-url', 'postgres://h/db', '--database-pool-size', '0'], {})).toThrow(/database-pool-size/);
  });
});
