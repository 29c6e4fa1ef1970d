import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configUsage, loadConfig, parseBoolean, parseInteger, parseOneOf, parsePort, parseRateLimit, parseString, type ConfigSpec } from '../src/index.ts';

const spec = {
  port: { parse: parsePort, default: 8080, description: 'TCP port' },
  host: { parse: parseString, default: '127.0.0.1', description: 'address to listen on' },
  relayKey: { parse: parseString, description: 'relay-credential key file' },
  keyserverUrl: { parse: parseString, required: true, description: 'key server URL' },
  synchronous: { parse: parseOneOf(['NORMAL', 'FULL']), default: 'NORMAL', description: 'SQLite synchronous' },
  docs: { parse: parseBoolean, default: true, description: 'serve /docs' },
  logLevel: { parse: parseString, default: 'info', flag: 'log-level', env: 'LOG', description: 'pino level' },
} satisfies ConfigSpec;

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig(spec, { envPrefix: 'SVC_', argv, env });

describe('loadConfig', () => {
  it('reads flags, then prefixed variables, then defaults, typed', () => {
    const c = load(['--port', '9000', '--relay-key=/k.json', '--synchronous', 'full'], { SVC_PORT: '1', SVC_HOST: '0.0.0.0', SVC_KEYSERVER_URL: 'http://ks', SVC_LOG: 'debug' });
    expect(c).toEqual({ port: 9000, host: '0.0.0.0', relayKey: '/k.json', keyserverUrl: 'http://ks', synchronous: 'FULL', docs: true, logLevel: 'debug' });
    const port: number = c.port;
    const relayKey: string | undefined = c.relayKey;
    const sync: 'NORMAL' | 'FULL' = c.synchronous;
    expect([port, relayKey, sync]).toEqual([9000, '/k.json', 'FULL']);
    expect(load(['--keyserver-url', 'x']).relayKey).toBeUndefined();
  });

  it('says which setting is wrong and why', () => {
    const cases: [string[], Record<string, string>, string][] = [
      [[], {}, '--keyserver-url (or SVC_KEYSERVER_URL) is required'],
      [['--keyserver-url', 'x', '--port', 'abc'], {}, '--port: must be an integer from 0 to 65535 (got "abc")'],
      [['--keyserver-url', 'x'], { SVC_PORT: '70000' }, 'SVC_PORT: must be an integer from 0 to 65535 (got "70000")'],
      [['--keyserver-url', 'x', '--synchronous', 'OFF'], {}, '--synchronous: must be one of NORMAL, FULL'],
      [['--keyserver-url', 'x', '--nope', '1'], {}, "unknown option '--nope'"],
      [['--keyserver-url', 'x', 'stray'], {}, "unexpected argument 'stray'"],
      [['--keyserver-url'], {}, "option '--keyserver-url <value>' argument missing"],
    ];
    for (const [argv, env, message] of cases) {
      let caught: unknown;
      try {
        load(argv, env);
      } catch (e) {
        caught = e;
      }
      expect(caught, argv.join(' ')).toBeInstanceOf(ConfigError);
      expect((caught as Error).message).toContain(message);
    }
  });

  it('parsers accept and refuse what they say', () => {
    expect(parseInteger(1, 5)('3')).toBe(3);
    for (const bad of ['0', '6', '1.5', '', ' ', '0x2', '1e2']) expect(() => parseInteger(1, 5)(bad), bad).toThrow();
    expect(['true', '1', 'yes', 'false', '0', 'no'].map(parseBoolean)).toEqual([true, true, true, false, false, false]);
    expect(() => parseBoolean('maybe')).toThrow();
    expect(() => parseString('')).toThrow();
  });

  it('prints a usage line per setting', () => {
    const usage = configUsage(spec, 'SVC_');
    expect(usage).toContain('--relay-key / SVC_RELAY_KEY: relay-credential key file');
    expect(usage).toContain('--port / SVC_PORT: TCP port (default 8080)');
    expect(usage).toContain('--keyserver-url / SVC_KEYSERVER_URL: key server URL (required)');
    expect(usage).toContain('--log-level / SVC_LOG');
  });

  it('a config file sits below flags and variables and above defaults; unknown keys and bad values name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-config-'));
    try {
      const file = join(dir, 'svc.json');
      writeFileSync(file, JSON.stringify({ port: 9100, host: '10.0.0.1', 'keyserver-url': 'http://file', docs: false, logLevel: 'warn' }));
      expect(load(['--config', file])).toMatchObject({ port: 9100, host: '10.0.0.1', keyserverUrl: 'http://file', docs: false, logLevel: 'warn', synchronous: 'NORMAL' });
      expect(load(['--config', file, '--port', '1'], { SVC_PORT: '2', SVC_HOST: 'h' })).toMatchObject({ port: 1, host: 'h', keyserverUrl: 'http://file' });
      expect(load([], { SVC_CONFIG: file, SVC_PORT: '2' })).toMatchObject({ port: 2, host: '10.0.0.1' });
      const bad: [unknown, string][] = [
        [{ port: 1, nope: 2 }, `config file ${file}: unknown setting "nope" (known: port, host`],
        [{ port: 'x', keyserverUrl: 'k' }, `config file ${file}: port: must be an integer from 0 to 65535 (got "x")`],
        [{ port: { n: 1 } }, `config file ${file}: "port" must be a string, number, boolean or array of them`],
        [[1, 2], `config file ${file}: must hold one JSON object`],
      ];
      for (const [content, message] of bad) {
        writeFileSync(file, JSON.stringify(content));
        expect(() => load(['--config', file, '--keyserver-url', 'k'])).toThrow(message);
      }
      writeFileSync(file, '{ not json');
      expect(() => load(['--config', file])).toThrow(ConfigError);
      expect(() => load(['--config', join(dir, 'gone.json')])).toThrow(`config file ${join(dir, 'gone.json')}: no such file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rate limits parse as <burst>/<refill ms> or off', () => {
    expect(parseRateLimit('6/600000')).toEqual({ burst: 6, refillMs: 600000 });
    expect(parseRateLimit(' 1 / 5 ')).toEqual({ burst: 1, refillMs: 5 });
    expect(parseRateLimit('OFF')).toBe(false);
    for (const bad of ['0/5', '5/0', '5', '5/x', '-1/5', '']) expect(() => parseRateLimit(bad), bad).toThrow('must be <burst>/<refill ms>');
  });
});
