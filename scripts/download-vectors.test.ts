/** The checksum table in download-vectors.ts against the team copy of the vectors. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyDirectory } from './download-vectors.ts';
import { PUBLISHED_VECTOR_FILES, publishedVectorsDir, rawGitHubUrl, REPO_ROOT } from '@sealpost/devkit/vectors';

const dir = publishedVectorsDir();
const scratch = mkdtempSync(path.join(tmpdir(), 'sealpost-vectors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('download-vectors --verify-only', () => {
  it('accepts every file of the shared copy (19 files, all SHA-256 match)', () => {
    const results = verifyDirectory(dir);
    expect(results).toHaveLength(19);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('reports a modified file and a missing file', () => {
    const copy = path.join(scratch, 'copy');
    cpSync(dir, copy, { recursive: true });
    rmSync(path.join(copy, 'wycheproof', 'x25519_test.json'), { force: true });
    const hkdf = path.join(copy, 'wycheproof', 'hkdf_sha256_test.json');
    rmSync(hkdf, { force: true });
    writeFileSync(hkdf, '{}');
    const bad = verifyDirectory(copy).filter((r) => !r.ok);
    expect(bad.map((r) => r.file).sort()).toEqual(['wycheproof/hkdf_sha256_test.json', 'wycheproof/x25519_test.json']);
    expect(bad.find((r) => r.file.includes('x25519'))?.problem).toBe('missing');
    expect(bad.find((r) => r.file.includes('hkdf'))?.problem).toMatch(/^sha256 [0-9a-f]{64}, expected bb2b462a/);
  });

  it('exits 0 from the command line on the shared copy, 1 on an empty dir', () => {
    const script = path.join(REPO_ROOT, 'scripts', 'download-vectors.ts');
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const out = execFileSync(tsx, [script, '--verify-only', dir], { encoding: 'utf8' });
    expect(out.trim().split('\n').at(-1)).toBe('19 of 19 files verified');
    let code = 0;
    try {
      execFileSync(tsx, [script, '--verify-only', path.join(scratch, 'empty')], { encoding: 'utf8' });
    } catch (e) {
      code = (e as { status: number }).status;
    }
    expect(code).toBe(1);
  });

  it('builds pinned raw GitHub URLs', () => {
    const x = PUBLISHED_VECTOR_FILES.find((f) => f.local === 'wycheproof/x25519_test.json');
    expect(x && rawGitHubUrl(x)).toBe(
      'https://raw.githubusercontent.com/C2SP/wycheproof/dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166/testvectors_v1/x25519_test.json',
    );
    const m = PUBLISHED_VECTOR_FILES.find((f) => f.local === 'mlkem/cctv-modulus-ML-KEM-1024.txt.gz');
    expect(m && rawGitHubUrl(m)).toBe(
      'https://raw.githubusercontent.com/C2SP/CCTV/1e3d2860d46e94e777e1b17c7a6f2436387e3ecc/ML-KEM/modulus/ML-KEM-1024.txt.gz',
    );
  });
});
