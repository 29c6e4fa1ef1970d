import { describe, expect, it } from 'vitest';
import { ConfigError, configUsage, loadConfig, parseBoolean, parseInteger, parseOneOf, parsePort, parseString, type ConfigSpec } from '../src/index.ts';

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
});
