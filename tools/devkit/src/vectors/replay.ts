/**
 * `@sealpost/devkit/vectors-replay`: replays one vector file from its text,
 * with no file system — the same code the Node runner (index.ts) uses after
 * reading (and un-gzipping) the file, so a browser page can replay every
 * vector with the protocol's web primitives.
 */
import { replayCctv, replayLibcruxKats } from './kem.ts';
import { replayOwnFile } from './own.ts';
import type { FileReport } from './tally.ts';
import { replayWycheproof } from './wycheproof.ts';

export type { FileReport } from './tally.ts';

/** `file` is a published file's local path (e.g. `wycheproof/x25519_test.json`) or `test-vectors/<name>`. */
export function replayVectorFile(file: string, text: string): FileReport {
  if (file.startsWith('test-vectors/')) return replayOwnFile(file.slice('test-vectors/'.length), text);
  if (file.startsWith('wycheproof/')) return replayWycheproof(file, text);
  if (file.includes('nistkats_')) return replayLibcruxKats(file, text);
  return replayCctv(file, text);
}

/** One unit of work: a file and how to replay it. */
export interface VectorJob {
  file: string;
  run: () => FileReport;
}

/** Runs one job, turning a crash (unreadable file, missing handler) into a failure. */
export function runJob(job: VectorJob): FileReport {
  try {
    return job.run();
  } catch (e) {
    return { file: job.file, cases: 1, passed: 0, failed: 1, skipped: 0, failures: [`file could not be replayed: ${(e as Error).message}`] };
  }
}
