import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sealpost/service-kit';
import { keyServerUsage, loadKeyServerStartConfig } from '../src/start-config.ts';

describe('key server start-up config', () => {
  it('has defaults, reads KEYSERVER_* variables and lets flags win', () => {
    expect(loadKeyServerStartConfig([], {})).toEqual({
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
    });
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
});
