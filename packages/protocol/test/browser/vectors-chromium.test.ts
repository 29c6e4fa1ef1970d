/**
 * The protocol's vector suite inside Chromium: every published vector set
 * (../shared/test-vectors, or $SEALPOST_VECTORS_DIR) and every file of
 * test-vectors/ is replayed by the vector runner bundled into a page with the
 * protocol's web primitives (@noble/* + WebCrypto randomness). Node only
 * reads the files (and un-gzips one); every check runs in the page.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from '@sealpost/devkit/chromium';
import { startBrowserWorld, type BrowserWorld, type Page } from '@sealpost/devkit/browser-page';
import { ownJobs, publishedJobs, readVectorFile, type FileReport } from '@sealpost/devkit/vectors';

describe.runIf(chromiumAvailable())('vectors in Chromium (web primitives)', () => {
  let world: BrowserWorld;
  let page: Page;
  const reports: FileReport[] = [];
  beforeAll(async () => {
    world = await startBrowserWorld(join(import.meta.dirname, 'fixtures', 'vectors-page.ts'));
    page = await world.open();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('the page runs the web primitives backend', async () => {
    expect(await page.evaluate(() => window.sealpostVectors.backend)).toBe('web');
  });

  const jobs = [...publishedJobs(), ...ownJobs()];
  for (const job of jobs) {
    it(job.file, async () => {
      const report = await page.evaluate(({ file, text }) => window.sealpostVectors.replay(file, text), { file: job.file, text: readVectorFile(job.path) });
      reports.push(report);
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.cases).toBeGreaterThan(0);
    });
  }

  it('every vector passes in the page (17 published files and test-vectors/), at least 1,500 cases', () => {
    expect(reports).toHaveLength(jobs.length);
    const passed = reports.reduce((a, r) => a + r.passed, 0);
    const failed = reports.reduce((a, r) => a + r.failed, 0);
    const skipped = reports.reduce((a, r) => a + r.skipped, 0);
    console.log(`vectors in Chromium: ${passed} passed, ${failed} failed, ${skipped} skipped (groups outside our API, slow XEdDSA chains) in ${reports.length} files`);
    expect(failed).toBe(0);
    expect(passed).toBeGreaterThanOrEqual(1500);
  });
});
