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
