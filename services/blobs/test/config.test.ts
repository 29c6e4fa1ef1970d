import { describe, expect, it } from 'vitest';
import { toBase64 } from '@sealpost/protocol/primitives';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configMarkdown, configUsage } from '@sealpost/service-kit';
import { BLOBS_CONFIG_SPEC, DEFAULT_BLOB_SETTINGS, loadConfig, parseRange } from '../src/index.ts';

describe('blob service configuration and ranges', () => {
  it('defaults: 100 MiB, 30 days, 24 h; flags win over BLOBS_* variables', () => {
    const key = toBase64(new Uint8Array(32).fill(1));
    const c = loadConfig(['--port', '9000'], { BLOBS_KEYSERVER_PUBLIC_KEY: key, BLOBS_PORT: '9001', BLOBS_BLOB_TTL_DAYS: '7' });
    expect(c.port).toBe(9000);
    expect(c.settings.maxBlobBytes).toBe(100 * 2 ** 20);
    expect(c.settings.blobTtlMs).toBe(7 * 24 * 3600_000);
    expect(c.settings.incompleteTtlMs).toBe(24 * 3600_000);
    expect(c.settings.diskCapBytes).toBe(Number.MAX_SAFE_INTEGER);
    expect(loadConfig([], { BLOBS_KEYSERVER_PUBLIC_KEY: key }).settings.blobTtlMs).toBe(30 * 24 * 3600_000);
    expect(() => loadConfig([], {})).toThrow(/keyserver/i);
    expect(() => loadConfig([], { BLOBS_KEYSERVER_PUBLIC_KEY: 'AAAA' })).toThrow(/32 bytes/);
  });

  it('parses one byte range; ignores what it does not support; flags the unsatisfiable', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-4', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange('items=0-1', 100)).toBeUndefined();
  });

  it('quotas and rotation are settings with the built-in defaults; a --config file sits under flags and env', () => {
    const key = toBase64(new Uint8Array(32).fill(1));
    const c = loadConfig([], { BLOBS_KEYSERVER_PUBLIC_KEY: key });
    expect(c.settings.uploadRateLimit).toEqual(DEFAULT_BLOB_SETTINGS.uploadRateLimit);
    expect(c.settings.uploadByteQuota).toEqual(DEFAULT_BLOB_SETTINGS.uploadByteQuota);
    expect(c.settings.quotaEntries).toBe(DEFAULT_BLOB_SETTINGS.quotaEntries);
    expect(c.serve).toMatchObject({ port: 8083, metrics: 'separate', metricsHost: '127.0.0.1', metricsPort: 9183 });
    const off = loadConfig(['--upload-rate-limit', 'off', '--upload-quota-burst-bytes', '0'], { BLOBS_KEYSERVER_PUBLIC_KEY: key });
    expect([off.settings.uploadRateLimit, off.settings.uploadByteQuota]).toEqual([false, false]);
    const previous = toBase64(new Uint8Array(32).fill(2));
    const r = loadConfig(['--keyserver-previous-public-key', previous, '--keyserver-previous-key-until', '2030-01-01T00:00:00Z'], { BLOBS_KEYSERVER_PUBLIC_KEY: key });
    expect(r.keyserverPreviousPublicKey).toEqual(new Uint8Array(32).fill(2));
    expect(r.keyserverPreviousKeyUntil).toBe(Date.parse('2030-01-01T00:00:00Z'));

    const dir = mkdtempSync(join(tmpdir(), 'blobs-config-'));
    const file = join(dir, 'blobs.json');
    writeFileSync(file, JSON.stringify({ keyserverPublicKey: key, dir: '/srv/blobs', maxBlobBytes: 1000, port: 1 }));
    expect(loadConfig(['--port', '2'], { BLOBS_CONFIG: file, BLOBS_MAX_BLOB_BYTES: '999' })).toMatchObject({ directory: '/srv/blobs', port: 2, settings: { maxBlobBytes: 999 } });
    writeFileSync(file, JSON.stringify({ keyserverPublicKey: key, directory: '/srv' }));
    expect(() => loadConfig(['--config', file], {})).toThrow(`config file ${file}: unknown setting "directory"`);
    const usage = configUsage(BLOBS_CONFIG_SPEC, 'BLOBS_');
    for (const name of Object.keys(BLOBS_CONFIG_SPEC)) expect(usage).toContain(`--${name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)} / BLOBS_`);
  });

  it('the README option table is the spec (npx tsx scripts/options-tables.ts rewrites it)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`<!-- options:start -->\n${configMarkdown(BLOBS_CONFIG_SPEC, 'BLOBS_')}\n<!-- options:end -->`);
  });
});
