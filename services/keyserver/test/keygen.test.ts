/**
 * `sealpost-keyserver keygen`: every key file in one command, 0600, with
 * which service gets which printed; rotation from an existing trust root;
 * the files the relay and blob service get hold public keys only; the key
 * server starts from the files it gets.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRelayPublicKey } from '@sealpost/service-kit';
import { checkSenderCertificate } from '@sealpost/protocol/sealed-sender';
import { fromBase64 } from '@sealpost/protocol/primitives';
import { readRelayKeyFile, readServerCertificateFile, readTrustRootPublicKey, runKeygen } from '../src/index.ts';
import { call, createAccount, startServer } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'keygen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(fn: () => number): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('keygen', () => {
  it('writes every file 0600 and says which service gets which; refuses to overwrite without --force', async () => {
    const out = join(dir, 'keys');
    const r = capture(() => runKeygen(['--out', out, '--key-id', '7']));
    expect(r.code, r.err).toBe(0);
    const files = ['trust-root.json', 'trust-root.public.json', 'server-certificate.json', 'relay-credential-key.json', 'relay-credential.public.json'];
    for (const f of files) {
      expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
      expect(r.out).toContain(join(out, f));
    }
    expect(r.out).toMatch(/trust-root\.json\s+→ keep OFFLINE/);
    expect(r.out).toMatch(/server-certificate\.json\s+→ key server: --server-certificate/);
    expect(r.out).toMatch(/relay-credential-key\.json\s+→ key server: --relay-key/);
    expect(r.out).toMatch(/relay-credential\.public\.json\s+→ relay and blob service: --keyserver-public-key @/);

    // The relay and the blob service get the public key only, in a file their option reads.
    const publicFile = JSON.parse(readFileSync(join(out, 'relay-credential.public.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(publicFile).sort()).toEqual(['publicKey', 'type']);
    expect(parseRelayPublicKey(`@${join(out, 'relay-credential.public.json')}`)).toEqual(readRelayKeyFile(join(out, 'relay-credential-key.json')).publicKey);
    expect(Object.keys(JSON.parse(readFileSync(join(out, 'trust-root.public.json'), 'utf8'))).sort()).toEqual(['publicKey', 'type']);

    const again = capture(() => runKeygen(['--out', out]));
    expect(again.code).toBe(1);
    expect(again.err).toContain('exists; pass --force to overwrite');
    // --force replaces the files and keeps them 0600 even if someone loosened one.
    writeFileSync(join(out, 'relay-credential-key.json'), '{}', { mode: 0o644 });
    expect(capture(() => runKeygen(['--out', out, '--force'])).code).toBe(0);
    expect(statSync(join(out, 'relay-credential-key.json')).mode & 0o777).toBe(0o600);

    // The key server starts from what it is given and issues a sender certificate valid under the pinned root.
    const cert = readServerCertificateFile(join(out, 'server-certificate.json'));
    const server = await startServer({ senderCertificate: { certificate: cert.certificate, privateKey: cert.privateKey } });
    try {
      const alice = await createAccount(server);
      const res = await call(server, 'GET', '/v1/certificate/sender', { auth: alice.auth });
      expect(res.status).toBe(200);
      checkSenderCertificate(fromBase64(res.body.certificate), [readTrustRootPublicKey(join(out, 'trust-root.public.json'))], Date.now());
    } finally {
      await server.close();
    }
  });

  it('rotation: --trust-root signs a new server certificate and makes a new credential key, no new root; --only limits it', () => {
    const first = join(dir, 'gen1');
    expect(capture(() => runKeygen(['--out', first])).code).toBe(0);
    const second = join(dir, 'gen2');
    const r = capture(() => runKeygen(['--out', second, '--trust-root', join(first, 'trust-root.json'), '--key-id', '2', '--json']));
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { files: string[]; serverCertificateKeyId: number };
    expect(summary.files.map((f) => f.slice(second.length + 1)).sort()).toEqual(['relay-credential-key.json', 'relay-credential.public.json', 'server-certificate.json']);
    expect(summary.serverCertificateKeyId).toBe(2);
    expect(readRelayKeyFile(join(second, 'relay-credential-key.json')).publicKey).not.toEqual(readRelayKeyFile(join(first, 'relay-credential-key.json')).publicKey);

    const certOnly = join(dir, 'gen3');
    expect(capture(() => runKeygen(['--out', certOnly, '--trust-root', join(first, 'trust-root.json'), '--key-id', '3', '--only', 'server-certificate'])).code).toBe(0);
    expect(readServerCertificateFile(join(certOnly, 'server-certificate.json')).keyId).toBe(3);
    const relayOnly = join(dir, 'gen4');
    expect(capture(() => runKeygen(['--out', relayOnly, '--only', 'relay-key'])).code).toBe(0);
    expect(statSync(join(relayOnly, 'relay-credential-key.json')).isFile()).toBe(true);

    expect(capture(() => runKeygen(['--out', join(dir, 'x'), '--only', 'server-certificate'])).err).toContain('needs --trust-root');
    expect(capture(() => runKeygen(['--out', join(dir, 'y'), '--key-id', '3735929687'])).err).toContain('revoked');
    expect(capture(() => runKeygen([])).code).toBe(2);
  });
});
