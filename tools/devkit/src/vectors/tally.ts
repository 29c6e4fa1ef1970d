/** Counting outcomes of vector cases for one file. */

/** What one file's replay produced. */
export interface FileReport {
  /** File name relative to its vectors directory (published) or "test-vectors/..." (own). */
  file: string;
  /** Cases run (passed + failed). */
  cases: number;
  passed: number;
  failed: number;
  /** Cases not applicable to our API (e.g. AES-128 groups), not counted in `cases`. */
  skipped: number;
  /** First few failure descriptions, for diagnosis. */
  failures: string[];
}

const MAX_FAILURES_KEPT = 20;

/** Accumulates case outcomes; a case passes when its check returns true. */
export class Tally {
  readonly report: FileReport;

  constructor(file: string) {
    this.report = { file, cases: 0, passed: 0, failed: 0, skipped: 0, failures: [] };
  }

  /**
   * Runs one case. `check` returns true for pass, or false / a string
   * (the reason) for fail; an exception thrown by it is a failure too.
   */
  check(id: string, check: () => boolean | string): void {
    this.report.cases++;
    let outcome: boolean | string;
    try {
      outcome = check();
    } catch (e) {
      outcome = `threw ${(e as Error).name}: ${(e as Error).message}`;
    }
    if (outcome === true) {
      this.report.passed++;
    } else {
      this.report.failed++;
      if (this.report.failures.length < MAX_FAILURES_KEPT) {
        this.report.failures.push(`${id}: ${outcome === false ? 'mismatch' : outcome}`);
      }
    }
  }

  /** Records a case we do not run (outside our API), with no verdict. */
  skip(): void {
    this.report.skipped++;
  }
}

/** True when `fn` throws (the way "invalid input is rejected" is checked). */
export function throws(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
}

/** Runs `fn` and returns the error it throws, or undefined. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}
