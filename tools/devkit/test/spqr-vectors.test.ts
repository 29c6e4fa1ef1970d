/**
 * The vector runner's SPQR handlers (tools/devkit/src/vectors/spqr.ts):
 * every case of test-vectors/spqr-*.json passes, and a copy with one value
 * altered fails exactly the cases that use it (so the handlers check
 * something, and a malformed file is a failure, not a pass).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FileReport, OWN_VECTORS_DIR, ownJobs, runJob } from '@sealpost/devkit/vectors';

const SPQR_FILES = ['spqr-erasure-code.json', 'spqr-kdf-chain.json', 'spqr-messages.json'];

function replay(dir: string, name: string): FileReport {
  const job = ownJobs(dir).find((j) => j.file === `test-vectors/${name}`);
  if (job === undefined) throw new Error(`no job for ${name}`);
  return runJob(job);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'sealpost-spqr-vectors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `name` into the scratch directory (alone) after `edit` changes its JSON. */
function tampered(name: string, edit: (doc: Record<string, any>) => void): string {
  const dir = mkdtempSync(path.join(scratch, 'case-'));
  const doc = JSON.parse(readFileSync(path.join(OWN_VECTORS_DIR, name), 'utf8')) as Record<string, any>;
  edit(doc);
  writeFileSync(path.join(dir, name), JSON.stringify(doc));
  return dir;
}
const flipFirstHexDigit = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('vector runner: SPQR known answers', () => {
  it('replays every case of the three files with none failing', () => {
    const counts = SPQR_FILES.map((name) => {
      const r = replay(OWN_VECTORS_DIR, name);
      expect(r.failures).toEqual([]);
      expect(r.failed).toBe(0);
      expect(r.passed).toBe(r.cases);
      return r.cases;
    });
    // gf16 table check + 8 products + 2 × 2 encodings; 1 + 2 chains + 3 states; 6 messages + 11 rejections
    expect(counts).toEqual([13, 6, 17]);
  });

  it('the runner lists the SPQR files with the others (no skip list)', () => {
    const files = ownJobs().map((j) => j.file);
    for (const name of SPQR_FILES) expect(files).toContain(`test-vectors/${name}`);
  });

  it('a wrong GF(2^16) product or chunk fails its cases', () => {
    const dir = tampered('spqr-erasure-code.json', (d) => {
      d.gf16[0].product ^= 1;
      const last = d.encodings[0].chunks.at(-1); // a parity chunk: emitted, and used by the decode check
      last.data = flipFirstHexDigit(last.data);
    });
    const r = replay(dir, 'spqr-erasure-code.json');
    expect(r.failed).toBe(3); // the product, and the first encoding's chunks and decode cases
    expect(r.failures.join('\n')).toMatch(/gf16 4660·22136: product/);
  });

  it('a wrong chain key or initial state fails its case', () => {
    const dir = tampered('spqr-kdf-chain.json', (d) => {
      d.kdf.chainB2A.key2 = flipFirstHexDigit(d.kdf.chainB2A.key2);
      d.kdf.initialStateA2B = flipFirstHexDigit(d.kdf.initialStateA2B);
    });
    const r = replay(dir, 'spqr-kdf-chain.json');
    expect(r.failures.map((f) => f.split(':')[0])).toEqual(['chain B2A', 'initial state A2B']);
  });

  it('a wrong message field, or a rejected message that decodes, fails', () => {
    const dir = tampered('spqr-messages.json', (d) => {
      d.messages[0].index += 1;
      d.rejected.push({ name: 'a valid None message', hex: '01010100' });
    });
    const r = replay(dir, 'spqr-messages.json');
    expect(r.failures).toHaveLength(2);
    expect(r.failures[0]).toMatch(/round-trips A first message .*index: got 1, want 2/);
    expect(r.failures[1]).toMatch(/rejects a valid None message: decode: accepted/);
  });

  it('a file with a missing field is a failure, not a pass', () => {
    const dir = tampered('spqr-kdf-chain.json', (d) => delete d.kdf.authKey);
    expect(replay(dir, 'spqr-kdf-chain.json').failed).toBeGreaterThan(0);
  });
});
