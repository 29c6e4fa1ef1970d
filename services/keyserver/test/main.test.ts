/**
 * The one-command start: key files from scripts/keyserver-trust-root.ts, a
 * key server process on a file database (or, in the services-postgres
 * project, a PostgreSQL database), a libsignal-validated sender
 * certificate, no secrets in the logs, graceful SIGTERM, data kept on disk.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PublicKey, SenderCertificate } from '@signalapp/libsignal-client';
import { call, createAccount } from './support.ts';
import { processDatabase } from './test-stores.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const dir = mkdtempSync(join(tmpdir(), 'keyserver-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function waitForListening(child: ChildProcess, logs: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in time:\n${logs.join('')}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      logs.push(chunk.toString());
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs.join(''));
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited early (${code}):\n${logs.join('')}`)));
  });
}

describe('keyserver main', () => {
  it('starts from key files, serves, logs no secrets and shuts down cleanly on SIGTERM', async () => {
    const made = spawnSync(TSX, ['scripts/keyserver-trust-root.ts', '--out', dir, '--key-id', '9'], { cwd: ROOT, encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const summary = JSON.parse(made.stdout.slice(made.stdout.indexOf('{')));
    expect(summary.serverCertificateKeyId).toBe(9);
    // Refuses to overwrite without --force.
    expect(spawnSync(TSX, ['scripts/keyserver-trust-root.ts', '--out', dir], { cwd: ROOT, encoding: 'utf8' }).status).toBe(1);

    const database = await processDatabase(join(dir, 'ks.db'));
    const child = spawn(
      TSX,
      ['services/keyserver/src/main.ts', '--port', '0', ...database.args, '--server-certificate', join(dir, 'server-certificate.json'), '--relay-key', join(dir, 'relay-credential-key.json'), '--log-level', 'debug'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const logs: string[] = [];
    child.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
    const url = await waitForListening(child, logs);
    const server = { url };

    const alice = await createAccount(server);
    const cert = await call(server, 'GET', '/v1/certificate/sender', { auth: alice.auth });
    expect(cert.status).toBe(200);
    const trustRoot = JSON.parse(readFileSync(join(dir, 'trust-root.public.json'), 'utf8')).publicKey as string;
    const lib = SenderCertificate.deserialize(new Uint8Array(Buffer.from(cert.body.certificate, 'base64')));
    expect(lib.validate(PublicKey.deserialize(new Uint8Array(Buffer.from(trustRoot, 'base64'))), Date.now())).toBe(true);
    expect(lib.serverCertificate().keyId()).toBe(9);
    const docs = await call(server, 'GET', '/docs/json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toContain('/v1/keys/{accountId}/{deviceId}');

    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const output = logs.join('');
    expect(output).toContain('shutting down');
    // Request logging is on, with the route pattern (not the URL, not the client address: issue 11.9)…
    expect(output).toContain('"route":"/v1/certificate/sender"');
    expect(output).not.toContain('"ip"');
    expect(output).not.toContain(Buffer.from(alice.secret).toString('base64')); // …but no secret reaches it
    expect(output).not.toContain(alice.auth.slice(6));
    for (const line of output.split('\n').filter((l) => l.startsWith('{'))) expect(() => JSON.parse(line)).not.toThrow();

    // The account outlived the process.
    const store = await database.open();
    expect((await store.listDevices(alice.accountId))?.map((d) => d.deviceId)).toEqual([1]);
    await store.close();
    await database.drop();
  });
});
