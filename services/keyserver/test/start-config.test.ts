import { describe, expect, it } from 'vitest';
import { ConfigError, configMarkdown } from '@sealpost/service-kit';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ATTACHMENT_FORM_SETTINGS, DEFAULT_SETTINGS } from '../src/index.ts';
import { attachmentFormSettingsOf, KEYSERVER_START_SPEC, keyServerSettingsOf, keyServerUsage, loadKeyServerStartConfig } from '../src/start-config.ts';

describe('key server start-up config', () => {
  it('has defaults, reads KEYSERVER_* variables and lets flags win', () => {
    const defaults = loadKeyServerStartConfig([], {});
    const started = ['host', 'port', 'db', 'serverCertificate', 'relayKey', 'logLevel', 'logClientDetails', 'registrationGate', 'registrationTokenKeys', 'registrationPowDifficulty', 'deviceListTrustedAddresses', 'corsOrigins'];
    expect(Object.fromEntries(started.map((k) => [k, defaults[k as keyof typeof defaults]]))).toEqual({
      host: '127.0.0.1',
      port: 8080,
      db: 'keyserver.db',
      serverCertificate: undefined,
      relayKey: undefined,
      logLevel: 'info',
      logClientDetails: false,
      registrationGate: 'off',
      registrationTokenKeys: undefined,
      registrationPowDifficulty: 20,
      deviceListTrustedAddresses: ['127.0.0.0/8', '::1/128'],
      corsOrigins: [],
    });
    // Every other limit is a setting whose default is the built-in one.
    expect(keyServerSettingsOf(defaults)).toEqual(DEFAULT_SETTINGS);
    expect(attachmentFormSettingsOf(defaults)).toEqual(DEFAULT_ATTACHMENT_FORM_SETTINGS);
    expect(defaults).toMatchObject({ trustProxy: [], metrics: 'separate', metricsHost: '127.0.0.1', metricsPort: 9180, shutdownDelayMs: 0, shutdownTimeoutMs: 10_000 });
    const c = loadKeyServerStartConfig(['--port', '0', '--relay-key=/k/relay.json'], { KEYSERVER_PORT: '9', KEYSERVER_DB: ':memory:', KEYSERVER_LOG_LEVEL: 'debug', PORT: '1' });
    expect(c).toMatchObject({ port: 0, db: ':memory:', relayKey: '/k/relay.json', logLevel: 'debug' });
  });

  it('names the bad flag or variable', () => {
    expect(() => loadKeyServerStartConfig(['--port', '70000'], {})).toThrow(ConfigError);
    expect(() => loadKeyServerStartConfig([], { KEYSERVER_PORT: 'http' })).toThrow('KEYSERVER_PORT: must be an integer from 0 to 65535');
    expect(() => loadKeyServerStartConfig(['--log-level', 'loud'], {})).toThrow('--log-level: must be one of');
    expect(() => loadKeyServerStartConfig(['--dbpath', 'x'], {})).toThrow("unknown option '--dbpath'");
    expect(keyServerUsage()).toContain('--server-certificate / KEYSERVER_SERVER_CERTIFICATE');
  });

  it('selects PostgreSQL with --database-url / KEYSERVER_DATABASE_URL, with pool size and statement timeout', () => {
    expect(loadKeyServerStartConfig([], {})).toMatchObject({ databaseUrl: undefined, databasePoolSize: undefined, databaseStatementTimeoutMs: undefined });
    const c = loadKeyServerStartConfig(['--database-pool-size', '4'], { KEYSERVER_DATABASE_URL: 'postgres://ks@db.internal:5432/keys', KEYSERVER_DATABASE_STATEMENT_TIMEOUT_MS: '2500' });
    expect(c).toMatchObject({ databaseUrl: 'postgres://ks@db.internal:5432/keys', databasePoolSize: 4, databaseStatementTimeoutMs: 2500 });
    expect(() => loadKeyServerStartConfig(['--database-url', 'mysql://x/y'], {})).toThrow('--database-url: must be a postgres:// or postgresql:// URL');
    expect(() => loadKeyServerStartConfig(['--database-pool-size', '0'], {})).toThrow('--database-pool-size');
    expect(keyServerUsage()).toContain('--database-url / KEYSERVER_DATABASE_URL');
  });

  it('reads a --config file below flags and variables; refuses unknown keys; rate limits are burst/refill or off', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-config-'));
    try {
      const file = join(dir, 'keyserver.json');
      writeFileSync(file, JSON.stringify({ port: 7000, host: '0.0.0.0', 'log-level': 'warn', bundleRateLimit: '3/1000', keyUploadRateLimit: 'off', trustProxy: ['10.0.0.0/8', 'loopback'], maxDevices: 3 }));
      const c = loadKeyServerStartConfig(['--config', file, '--port', '7001'], { KEYSERVER_HOST: '::1' });
      expect(c).toMatchObject({ port: 7001, host: '::1', logLevel: 'warn', bundleRateLimit: { burst: 3, refillMs: 1000 }, keyUploadRateLimit: false, trustProxy: ['10.0.0.0/8', 'loopback'] });
      expect(keyServerSettingsOf(c).maxDevices).toBe(3);
      expect(loadKeyServerStartConfig([], { KEYSERVER_CONFIG: file }).port).toBe(7000);

      writeFileSync(file, JSON.stringify({ port: 7000, prot: 1 }));
      expect(() => loadKeyServerStartConfig(['--config', file], {})).toThrow(`config file ${file}: unknown setting "prot"`);
      writeFileSync(file, JSON.stringify({ bundleRateLimit: '3 per second' }));
      expect(() => loadKeyServerStartConfig(['--config', file], {})).toThrow('bundleRateLimit: must be <burst>/<refill ms>');
      expect(() => loadKeyServerStartConfig(['--trust-proxy', '10.0.0.0/33'], {})).toThrow('--trust-proxy: not an IP address, CIDR range');
      expect(() => loadKeyServerStartConfig(['--config', join(dir, 'missing.json')], {})).toThrow('no such file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help lists every setting with its default', () => {
    const usage = keyServerUsage();
    for (const name of Object.keys(KEYSERVER_START_SPEC)) {
      const flag = name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
      expect(usage, flag).toContain(`--${flag} / KEYSERVER_`);
    }
    expect(usage).toContain('--bundle-rate-limit / KEYSERVER_BUNDLE_RATE_LIMIT: bundle fetches per (requester device, target account) (<burst>/<refill ms>, or off) (default 6/600000)');
    expect(usage).toContain('--config / KEYSERVER_CONFIG');
    expect(usage).toContain('sealpost-keyserver keygen --out <dir>');
  });

  it('the README option table is the spec (npx tsx scripts/options-tables.ts rewrites it)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`<!-- options:start -->\n${configMarkdown(KEYSERVER_START_SPEC, 'KEYSERVER_')}\n<!-- options:end -->`);
  });
});
