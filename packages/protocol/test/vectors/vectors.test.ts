/**
 * Replays every published vector set (from $SEALPOST_VECTORS_DIR, default
 * ../shared/test-vectors) and every transcribed known answer in test-vectors/.
 * One test per file; any failed case fails it, with the first failures shown.
 */
import { describe, expect, it } from 'vitest';
import { type FileReport, ownJobs, publishedJobs, runJob } from '@sealpost/devkit/vectors';

/** Every file's report, collected as the per-file tests run (each file is replayed once). */
const reports: FileReport[] = [];
function replay(job: Parameters<typeof runJob>[0]): FileReport {
  const report = runJob(job);
  reports.push(report);
  return report;
}

describe('published vector sets', () => {
  const jobs = publishedJobs();
  it('covers every replayable file in PROVENANCE.md (17 files)', () => {
    expect(jobs.map((j) => j.file)).toHaveLength(17);
  });
  for (const job of jobs) {
    it(job.file, () => {
      const report = replay(job);
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.cases).toBeGreaterThan(0);
      expect(report.passed).toBe(report.cases);
    });
  }
});

describe('transcribed known answers (test-vectors/)', () => {
  const jobs = ownJobs();
  it('finds the eight transcribed files (and any other file there gets a test below)', () => {
    expect(jobs.map((j) => j.file)).toEqual(expect.arrayContaining([
      'test-vectors/libsignal-chain-key.json',
      'test-vectors/libsignal-fingerprint.json',
      'test-vectors/libsignal-xeddsa.json',
      'test-vectors/nist-sp800-38a-aes256.json',
      'test-vectors/rfc4231-hmac-sha256.json',
      'test-vectors/rfc5869-hkdf-sha256.json',
      'test-vectors/rfc7748-x25519.json',
      'test-vectors/rfc8032-ed25519.json',
    ]));
  });
  for (const job of jobs) {
    it(job.file, () => {
      const report = replay(job);
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.cases).toBeGreaterThan(0);
    });
  }
});

describe('totals', () => {
  it('replays at least 1,500 cases with none failing', () => {
    expect(reports).toHaveLength(publishedJobs().length + ownJobs().length);
    const passed = reports.reduce((a, r) => a + r.passed, 0);
    const failed = reports.reduce((a, r) => a + r.failed, 0);
    expect(failed).toBe(0);
    expect(passed).toBeGreaterThanOrEqual(1500);
  });
});
