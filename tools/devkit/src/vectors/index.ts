/**
 * `@sealpost/devkit/vectors`, the vector runner: replays every published set
 * listed in PROVENANCE.md (from the directory publishedVectorsDir() names)
 * and every file of our own test-vectors/. Used by scripts/vectors.ts
 * (`pnpm run vectors`), scripts/download-vectors.ts and the protocol's
 * vitest suites.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OWN_VECTORS_DIR, publishedVectorsDir } from './paths.ts';
import { PUBLISHED_VECTOR_FILES } from './provenance.ts';
import { replayVectorFile, runJob, type VectorJob } from './replay.ts';
import type { FileReport } from './tally.ts';

export { type FileReport, Tally, caught, throws } from './tally.ts';
export { OWN_VECTORS_DIR, REPO_ROOT, publishedVectorsDir } from './paths.ts';
export { PUBLISHED_VECTOR_FILES, rawGitHubUrl, type PublishedVectorFile } from './provenance.ts';
export { replayXeddsaChain, slowVectorsEnabled } from './own.ts';
export * from './session-vector.ts';
export * from './session-vector-proof.ts';
export * from './sender-key-vector.ts';
export * from './sender-key-vector-proof.ts';
export * from './kems.ts';

export { replayVectorFile, runJob, type VectorJob } from './replay.ts';

/** A vector file's text (gzipped files decompressed). */
export function readVectorFile(file: string): string {
  const raw = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

/** A job reading the file at `path`. */
export interface FileVectorJob extends VectorJob {
  path: string;
}

/** Every published file the runner replays, as jobs (throws if the directory is missing). */
export function publishedJobs(dir = publishedVectorsDir()): FileVectorJob[] {
  if (!existsSync(path.join(dir, 'PROVENANCE.md'))) {
    throw new Error(
      `published test vectors not found in ${dir} (set SEALPOST_VECTORS_DIR, or fetch them with "pnpm run vectors:download <dir>")`,
    );
  }
  return PUBLISHED_VECTOR_FILES.filter((f) => f.replay).map((f) => ({
    file: f.local,
    path: path.join(dir, f.local),
    run: () => replayVectorFile(f.local, readVectorFile(path.join(dir, f.local))),
  }));
}

/** Every file of our own test-vectors/, as jobs. */
export function ownJobs(dir = OWN_VECTORS_DIR): FileVectorJob[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => ({ file: `test-vectors/${name}`, path: path.join(dir, name), run: () => replayVectorFile(`test-vectors/${name}`, readVectorFile(path.join(dir, name))) }));
}

/** Replays everything; a file whose replay crashes is reported as one failed case. */
export function runAllVectors(): FileReport[] {
  return [...publishedJobs(), ...ownJobs()].map(runJob);
}
