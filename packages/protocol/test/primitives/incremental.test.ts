import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aes256CbcDecryptStream,
  aes256CbcEncryptStream,
  hmacSha256Incremental,
  incrementalBackendName,
  primitivesBackend,
  sha256Incremental,
} from '../../src/primitives/index.ts';

function pieces(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0, n = 0; o < data.length; o += n, n = (n * 5 + 3) % 4099) out.push(data.subarray(o, o + n));
  return out;
}

describe('incremental primitives equal node:crypto one-shot results', () => {
  it('uses the same backend as the other primitives', () => {
    expect(incrementalBackendName).toBe(primitivesBackend);
  });

  it('SHA-256 and HMAC-SHA256 (short and long keys) with snapshots', () => {
    for (const keyLen of [0, 32, 64, 65, 200]) {
      const key = randomBytes(keyLen);
      const data = randomBytes(50_000);
      const h = sha256Incremental();
      const m = hmacSha256Incremental(key);
      let fed = 0;
      for (const p of pieces(data)) {
        h.update(p);
        m.update(p);
        fed += p.length;
        if (p.length % 3 === 0) expect(Buffer.from(m.snapshot()).equals(createHmac('sha256', key).update(data.subarray(0, fed)).digest())).toBe(true);
      }
      expect(Buffer.from(h.digest()).equals(createHash('sha256').update(data).digest())).toBe(true);
      expect(Buffer.from(m.digest()).equals(createHmac('sha256', key).update(data).digest())).toBe(true);
    }
  });

  it('AES-256-CBC encrypt and decrypt streams, and bad padding', () => {
    const key = randomBytes(32);
    const iv = randomBytes(16);
    for (const n of [0, 1, 15, 16, 17, 4096, 33_333]) {
      const pt = randomBytes(n);
      const c = createCipheriv('aes-256-cbc', key, iv);
      const expected = Buffer.concat([c.update(pt), c.final()]);
      const enc = aes256CbcEncryptStream(key, iv);
      const ct = Buffer.concat([...pieces(pt).map((p) => enc.update(p)), enc.final()!]);
      expect(ct.equals(expected), `n=${n}`).toBe(true);
      const dec = aes256CbcDecryptStream(key, iv);
      const back = Buffer.concat([...pieces(ct).map((p) => dec.update(p)), dec.final()!]);
      expect(back.equals(pt)).toBe(true);
    }
    const bad = aes256CbcDecryptStream(key, iv);
    const c = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    bad.update(Buffer.concat([c.update(Buffer.alloc(32)), c.final()]));
    expect(bad.final()).toBeUndefined();
    const partial = aes256CbcDecryptStream(key, iv);
    partial.update(randomBytes(20));
    expect(partial.final()).toBeUndefined();
  });
});
