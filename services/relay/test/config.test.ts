/** Start-up configuration: flags win over environment, defaults fill the rest, bad values are refused. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

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
