/**
 * `@sealpost/devkit/vectors`, the vector runner: replays every published set
 * listed in PROVENANCE.md (from the directory publishedVectorsDir() names)
 * and every file of our own test-vectors/. Used by scripts/vectors.ts
 * (`pnpm run vectors`), scripts/download-vectors.ts and the protocol's
 * vitest suites.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runCctvFile, runLibcruxKats } from './kem.ts';
import { ownVectorFiles, runOwnFile } from './own.ts';
import { OWN_VECTORS_DIR, publishedVectorsDir } from './paths.ts';
import { PUBLISHED_VECTOR_FILES } from './provenance.ts';
import type { FileReport } from './tally.ts';
import { runWycheproofFile } from './wycheproof.ts';

export { type FileReport, Tally, caught, throws } from './tally.ts';
export { OWN_VECTORS_DIR, REPO_ROOT, publishedVectorsDir } from './paths.ts';
export { PUBLISHED_VECTOR_FILES, rawGitHubUrl, type PublishedVectorFile } from './provenance.ts';
export { replayXeddsaChain, slowVectorsEnabled } from './own.ts';
export * from './session-vector.ts';
export * from './sender-key-vector.ts';
export * from './kems.ts';

/** One unit of work: a file and how to replay it. */
export interface VectorJob {
  file: string;
  run: () => FileReport;
}

/** Every published file the runner replays, as jobs (throws if the directory is missing). */
export function publishedJobs(dir = publishedVectorsDir()): VectorJob[] {
  if (!existsSync(path.join(dir, 'PROVENANCE.md'))) {
    throw new Error(
      `published test vectors not found in ${dir} (set SEALPOST_VECTORS_DIR, or fetch them with "pnpm run vectors:download <dir>")`,
    );
  }
  return PUBLISHED_VECTOR_FILES.filter((f) => f.replay).map((f) => ({
    file: f.local,
    run: () => {
      if (f.local.startsWith('wycheproof/')) return runWycheproofFile(dir, f.local);
      if (f.local.includes('nistkats_')) return runLibcruxKats(dir, f.local);
      return runCctvFile(dir, f.local);
    },
  }));
}

/** Every file of our own test-vectors/, as jobs. */
export function ownJobs(dir = OWN_VECTORS_DIR): VectorJob[] {
  return ownVectorFiles(dir).map((name) => ({ file: `test-vectors/${name}`, run: () => runOwnFile(dir, name) }));
}

/** Replays everything; a file whose replay crashes is reported as one failed case. */
export function runAllVectors(): FileReport[] {
  return [...publishedJobs(), ...ownJobs()].map(runJob);
}

/** Runs one job, turning a crash (unreadable file, missing handler) into a failure. */
export function runJob(job: VectorJob): FileReport {
  try {
    return job.run();
  } catch (e) {
    return { file: job.file, cases: 1, passed: 0, failed: 1, skipped: 0, failures: [`file could not be replayed: ${(e as Error).message}`] };
  }
}
