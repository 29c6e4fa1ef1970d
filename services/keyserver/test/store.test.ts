/**
 * The store's one guarantee that matters most: a one-time prekey leaves
 * exactly once, even with several processes taking from one SQLite file at
 * the same time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteKeyStore } from '../src/index.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const dir = mkdtempSync(join(tmpdir(), 'ks-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteKeyStore across processes', () => {
  it('4 processes draining 400 one-time keys from one file hand out each exactly once', async () => {
    const path = join(dir, 'shared.db');
    const store = new SqliteKeyStore(path);
    const sig = new Uint8Array(64);
    store.createAccount({ accountId: 'acct', identityKey: new Uint8Array(33), registrationId: 1, secretHash: new Uint8Array(32), now: 1 });
    store.storeKeys('acct', 1, { signedPreKey: { keyId: 1, publicKey: new Uint8Array(33), signature: sig }, pqLastResortPreKey: { keyId: 2, publicKey: new Uint8Array(1569), signature: sig } }, 1, 1000);
    for (let start = 0; start < 400; start += 100) {
      store.storeKeys(
        'acct',
        1,
        {
          preKeys: Array.from({ length: 100 }, (_, i) => ({ keyId: start + i, publicKey: new Uint8Array(33).fill(i) })),
          pqPreKeys: Array.from({ length: 100 }, (_, i) => ({ keyId: start + i, publicKey: new Uint8Array(1569).fill(i), signature: sig })),
        },
        1,
        1000,
      );
    }
    store.close();

    const children = Array.from({ length: 4 }, () => spawn(TSX, [join(import.meta.dirname, 'take-bundles-process.ts'), path, 'acct', '400'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const outputs = children.map(
      (c) =>
        new Promise<{ ec: number[]; kyber: number[] }>((res, rej) => {
          let out = '';
          c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
          c.on('exit', (code) => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`child exited ${code}`))));
        }),
    );
    // Let every process finish loading (tsx + migrations) before they race.
    await new Promise((r) => setTimeout(r, 3000));
    for (const c of children) c.stdin!.write('go\n');
    const results = await Promise.all(outputs);
    const ec = results.flatMap((r) => r.ec);
    const kyber = results.flatMap((r) => r.kyber);
    expect(ec).toHaveLength(400);
    expect(new Set(ec).size).toBe(400);
    expect(kyber).toHaveLength(400);
    expect(new Set(kyber).size).toBe(400);

    const after = new SqliteKeyStore(path); // also sweeps material left by the children's last partial batches
    expect(after.countOneTimeKeys('acct', 1)).toEqual({ ec: 0, kyber: 0 });
    expect(after.db.prepare('SELECT COUNT(*) FROM one_time_key_material').pluck().get()).toBe(0);
    after.close();
  });
});
