/**
 * `pnpm run vectors:download <dir>`: fetches the published test-vector files
 * at the commits pinned in PROVENANCE.md (raw GitHub URLs built from
 * repo/commit/path) into <dir> and checks each file's SHA-256 against the
 * table in tools/devkit/src/vectors/provenance.ts. Point SEALPOST_VECTORS_DIR
 * at <dir> afterwards.
 *
 * `--verify-only <dir>` downloads nothing and only checks an existing
 * directory (exit 1 on any missing file or checksum mismatch).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUBLISHED_VECTOR_FILES, rawGitHubUrl, type PublishedVectorFile } from '@sealpost/devkit/vectors';

/** The outcome of checking one file. */
export interface VerifyResult {
  file: string;
  ok: boolean;
  problem?: string;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Checks one file of `dir` against its pinned SHA-256. */
export function verifyFile(dir: string, f: PublishedVectorFile): VerifyResult {
  const p = path.join(dir, f.local);
  if (!existsSync(p)) return { file: f.local, ok: false, problem: 'missing' };
  const got = sha256Hex(readFileSync(p));
  return got === f.sha256 ? { file: f.local, ok: true } : { file: f.local, ok: false, problem: `sha256 ${got}, expected ${f.sha256}` };
}

/** Checks every pinned file in `dir`. */
export function verifyDirectory(dir: string): VerifyResult[] {
  return PUBLISHED_VECTOR_FILES.map((f) => verifyFile(dir, f));
}

async function download(dir: string): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const f of PUBLISHED_VECTOR_FILES) {
    const target = path.join(dir, f.local);
    const url = rawGitHubUrl(f);
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const got = sha256Hex(bytes);
      if (got !== f.sha256) {
        results.push({ file: f.local, ok: false, problem: `downloaded sha256 ${got}, expected ${f.sha256} (not written)` });
        continue;
      }
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, bytes);
      results.push({ file: f.local, ok: true });
    } catch (e) {
      results.push({ file: f.local, ok: false, problem: `${url}: ${(e as Error).message}` });
    }
  }
  return results;
}

function report(results: VerifyResult[]): number {
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.file}${r.problem === undefined ? '' : `  (${r.problem})`}`);
  const bad = results.filter((r) => !r.ok).length;
  console.log(`${results.length - bad} of ${results.length} files verified`);
  return bad === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const verifyOnly = argv[0] === '--verify-only';
  const dir = verifyOnly ? argv[1] : argv[0];
  if (dir === undefined) {
    console.error('usage: download-vectors.ts <target-dir> | --verify-only <dir>');
    return 2;
  }
  const abs = path.resolve(dir);
  if (verifyOnly) return report(verifyDirectory(abs));
  mkdirSync(abs, { recursive: true });
  const code = report(await download(abs));
  if (code === 0) console.log(`now: SEALPOST_VECTORS_DIR=${abs} pnpm run vectors`);
  return code;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
