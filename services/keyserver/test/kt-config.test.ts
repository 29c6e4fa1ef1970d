/**
 * Key-transparency flags (`--kt-*`) and keygen's KT keys: KT is off
 * without keys, incomplete settings are refused with the flag named, the
 * witness list and keys parse strictly, keygen's files feed the flags.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ed25519Cosigner, vrfPublicKey } from '@sealpost/keytrans';
import { randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { ConfigError } from '@sealpost/service-kit';
import { generateKeyFiles } from '../src/keygen.ts';
import { ktOriginSuffix, ktSettingsOf, parseKtSecret, parseWitnessList } from '../src/kt/kt-config.ts';
import { loadKeyServerStartConfig } from '../src/start-config.ts';

describe('key-transparency configuration', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is off without keys and on with both keys and an origin', () => {
    expect(ktSettingsOf(loadKeyServerStartConfig([], {}))).toBeUndefined();
    const vrf = randomBytes(32);
    const log = randomBytes(32);
    const origin = `keys.example.org/sealpost-kt/${ktOriginSuffix(vrf, log)}`;
    const witness = ed25519Cosigner('w1.example', randomBytes(32), () => 0).vkey;
    const c = loadKeyServerStartConfig(
      ['--kt-vrf-key', toBase64(vrf), '--kt-log-key', toBase64(log), '--kt-origin', origin, '--kt-witnesses', `http://127.0.0.1:9/=${witness}`, '--kt-witness-quorum', '1', '--kt-batch-ms', '250'],
      {},
    );
    const s = ktSettingsOf(c)!;
    expect(s.vrfSecretKey).toEqual(vrf);
    expect(s.logNoteKey).toEqual(log);
    expect(s.origin).toBe(origin);
    expect(s.witnesses).toEqual([{ url: 'http://127.0.0.1:9/', vkey: witness }]);
    expect(s.witnessQuorum).toBe(1);
    expect(s.batchMs).toBe(250);
    expect(s.heartbeatMs).toBe(600_000);
    expect(s.vrfThreads).toBe(2); // the default: proofs off the main thread
    expect(ktSettingsOf(loadKeyServerStartConfig(['--kt-vrf-key', toBase64(vrf), '--kt-log-key', toBase64(log), '--kt-origin', origin, '--kt-vrf-threads', '0'], {}))!.vrfThreads).toBe(0);
  });

  it('refuses incomplete or malformed settings, naming what is wrong', () => {
    const key = toBase64(randomBytes(32));
    expect(() => ktSettingsOf(loadKeyServerStartConfig(['--kt-vrf-key', key], {}))).toThrow(ConfigError);
    expect(() => ktSettingsOf(loadKeyServerStartConfig(['--kt-vrf-key', key, '--kt-log-key', key], {}))).toThrow(/--kt-origin/);
    expect(() => loadKeyServerStartConfig(['--kt-origin', 'keys.example.org/other/00'], {})).toThrow(/kt-origin/);
    expect(() => loadKeyServerStartConfig(['--kt-vrf-key', toBase64(randomBytes(31))], {})).toThrow(/kt-vrf-key/);
    expect(() => parseWitnessList('http://w.example')).toThrow(/url/);
    expect(() => parseWitnessList('ftp://w.example=x+00000000+AQ')).toThrow(/http/);
    expect(() => parseWitnessList('http://w.example=not-a-vkey')).toThrow(/vkey/);
    const origin = 'keys.example.org/sealpost-kt/0123456789abcdef';
    expect(() => ktSettingsOf(loadKeyServerStartConfig(['--kt-vrf-key', key, '--kt-log-key', key, '--kt-origin', origin, '--kt-witness-quorum', '1'], {}))).toThrow(/exceeds/);
  });

  it('keygen writes the KT keys (0600) that --kt-vrf-key @file / --kt-log-key @file read, with the origin suffix for them', () => {
    const out = mkdtempSync(join(tmpdir(), 'kt-keygen-'));
    dirs.push(out);
    const result = generateKeyFiles({ out });
    const vrf = parseKtSecret(`@${join(out, 'kt-vrf.key')}`);
    const log = parseKtSecret(`@${join(out, 'kt-log.key')}`);
    expect(statSync(join(out, 'kt-vrf.key')).mode & 0o777).toBe(0o600);
    expect(result.keyTransparency?.originSuffix).toBe(ktOriginSuffix(vrf, log));
    expect(result.keyTransparency?.vrfPublicKey).toBe(toBase64(vrfPublicKey(vrf)));
    expect(vrf).not.toEqual(log);
  });
});
