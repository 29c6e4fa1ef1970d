import { describe, expect, it } from 'vitest';
import { toBase64 } from '@sealpost/protocol/primitives';
import { loadConfig, parseRange } from '../src/index.ts';

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
});
