/** The start-up configuration, the README's generated option table, and `keygen`. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ed25519CosignatureVerifier, ed25519NoteSigner } from '@sealpost/keytrans';
import { fromBase64, randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { configMarkdown } from '@sealpost/service-kit';
import { WITNESS_CONFIG_SPEC, loadConfig } from '../src/config.ts';

const here = join(import.meta.dirname, '..');

describe('witness config', () => {
  it('reads flags and WITNESS_* variables (flags win) and refuses a bad key', () => {
    const key = randomBytes(32);
    const log = ed25519NoteSigner('example.org/log', randomBytes(32));
    const c = loadConfig(['--name', 'w.example/1', '--key', toBase64(key), '--port', '9000'], { WITNESS_LOGS: log.vkey, WITNESS_PORT: '9001' });
    expect(c).toMatchObject({ name: 'w.example/1', port: 9000, host: '127.0.0.1', db: 'witness.sqlite', logVkeys: [log.vkey] });
    expect(c.secretKey).toEqual(key);
    expect(() => loadConfig(['--name', 'w', '--key', toBase64(randomBytes(16)), '--logs', log.vkey], {})).toThrow(/32 bytes/);
    expect(() => loadConfig(['--key', toBase64(key), '--logs', log.vkey], {})).toThrow(/name/);
  });

  it('reads the store, rate-limit and runtime settings; refuses a non-PostgreSQL URL', () => {
    const key = toBase64(randomBytes(32));
    const log = ed25519NoteSigner('example.org/log', randomBytes(32)).vkey;
    const base = ['--name', 'w', '--key', key, '--logs', log];
    const d = loadConfig(base, {});
    expect(d).toMatchObject({ databaseUrl: undefined, addCheckpointRateLimit: { burst: 100, refillMs: 100 }, bodyLimit: 65536, requestTimeoutMs: 10_000, trustProxy: [] });
    expect(d.serve).toMatchObject({ host: '127.0.0.1', port: 8085, metrics: 'separate', metricsPort: 9185, shutdownTimeoutMs: 10_000 });
    const c = loadConfig([...base, '--database-url', 'postgres://u@db:5432/w', '--database-pool-size', '4', '--add-checkpoint-rate-limit', 'off', '--trust-proxy', 'loopback', '--metrics', 'same'], {
      WITNESS_ADD_CHECKPOINT_RATE_LIMIT: '5/1000',
    });
    expect(c).toMatchObject({ databaseUrl: 'postgres://u@db:5432/w', postgres: { maxConnections: 4 }, addCheckpointRateLimit: false, trustProxy: ['loopback'] });
    expect(c.serve.metrics).toBe('same');
    expect(loadConfig(base, { WITNESS_ADD_CHECKPOINT_RATE_LIMIT: '5/1000' }).addCheckpointRateLimit).toEqual({ burst: 5, refillMs: 1000 });
    expect(() => loadConfig([...base, '--database-url', 'mysql://x/y'], {})).toThrow(/postgres/);
  });

  it('--help lists every flag and its variable', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'src/main.ts'), '--help'], { encoding: 'utf8' });
    expect(out).toContain('Usage: sealpost-witness');
    for (const flag of ['--database-url / WITNESS_DATABASE_URL', '--add-checkpoint-rate-limit / ', '--trust-proxy / ', '--metrics / ', '--shutdown-timeout-ms / ', '--config / ']) expect(out).toContain(flag);
  });

  it('the README option table is the spec’s', () => {
    const readme = readFileSync(join(here, 'README.md'), 'utf8');
    expect(readme).toContain(`<!-- options:start -->\n${configMarkdown(WITNESS_CONFIG_SPEC, 'WITNESS_')}\n<!-- options:end -->`);
  });

  it('keygen prints a key and its cosignature/v1 vkey', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'src/main.ts'), 'keygen', '--name', 'w.example/1'], { encoding: 'utf8' });
    const m = /^key ([A-Za-z0-9+/=]+)\nvkey (\S+)\n$/.exec(out);
    expect(m).not.toBeNull();
    expect(fromBase64(m![1]!)).toHaveLength(32);
    expect(ed25519CosignatureVerifier(m![2]!).name).toBe('w.example/1');
  });
});
