/**
 * Disk-space watermark for the envelope database. Free space on the
 * database's file system is read with statfs every `checkMs`; below
 * `minFreeBytes` new envelopes are refused (507 + Retry-After) while
 * deliveries and acknowledgements go on.
 *
 * SQLite needs free space even to delete (the WAL grows before pages are
 * freed), so a reserve file of `reserveBytes` is kept next to the database
 * and deleted the moment a write fails with SQLITE_FULL (`release`); the
 * acknowledgement is then retried and commits. While the disk is low the
 * guard asks the store to give freed pages back (`reclaim`: WAL checkpoint,
 * incremental vacuum), and it recreates the reserve once there is room again.
 */
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What the guard needs to know. */
export interface DiskGuardOptions {
  /** The database file (its directory is what is watched). */
  dbPath: string;
  minFreeBytes: number;
  reserveBytes: number;
  checkMs: number;
  /** Gives space freed by deletions back to the file system (called while low). */
  reclaim?: () => void;
  /** Told when the state changes (for logs). */
  onChange?: (state: { low: boolean; freeBytes: number; reserveHeld: boolean }) => void;
}

const CHUNK = 1024 * 1024;

/** Watches free space; holds and releases the reserve file. */
export class DiskGuard {
  private readonly dir: string;
  /** The reserve file (named after the database). */
  readonly reservePath: string;
  private reserveHeld = false;
  private lowNow = false;
  private free = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DiskGuardOptions) {
    this.dir = dirname(options.dbPath);
    this.reservePath = join(this.dir, `${basename(options.dbPath)}.reserve`);
  }

  /** Creates the reserve, takes a first reading and starts the timer. */
  start(): void {
    this.check();
    if (this.options.checkMs > 0) {
      this.timer = setInterval(() => this.check(), this.options.checkMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** True while new envelopes must be refused. */
  get low(): boolean {
    return this.lowNow;
  }

  /** Free bytes at the last reading. */
  get freeBytes(): number {
    return this.free;
  }

  /** Whether the reserve file is in place. */
  get reserveInPlace(): boolean {
    return this.reserveHeld;
  }

  /** Deletes the reserve file (a write failed with a full disk) and marks the disk low. */
  release(): void {
    if (this.reserveHeld) {
      rmSync(this.reservePath, { force: true });
      this.reserveHeld = false;
    }
    this.lowNow = true;
    this.read();
    this.options.onChange?.({ low: true, freeBytes: this.free, reserveHeld: false });
  }

  /** One reading: reclaims space while low, recreates the reserve when there is room. */
  check(): void {
    try {
      if (this.lowNow) this.options.reclaim?.();
      this.read();
      const { minFreeBytes, reserveBytes } = this.options;
      if (!this.reserveHeld && reserveBytes > 0 && this.free >= minFreeBytes + reserveBytes) {
        this.reserveHeld = this.allocate(reserveBytes);
        this.read();
      }
      const low = this.free < minFreeBytes;
      if (low !== this.lowNow) {
        this.lowNow = low;
        this.options.onChange?.({ low, freeBytes: this.free, reserveHeld: this.reserveHeld });
      }
    } catch {
      // A failed reading keeps the last state; the next tick tries again.
    }
  }

  private read(): void {
    const s = statfsSync(this.dir);
    this.free = Number(s.bavail) * Number(s.bsize);
  }

  /** Writes `bytes` of zeros (real blocks, so the space is truly held); false when there is no room. */
  private allocate(bytes: number): boolean {
    let fd: number | undefined;
    try {
      fd = openSync(this.reservePath, 'w', 0o600);
      const zeros = Buffer.alloc(Math.min(CHUNK, bytes));
      for (let done = 0; done < bytes; ) {
        done += writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - done));
      }
      closeSync(fd);
      return true;
    } catch {
      if (fd !== undefined) closeSync(fd);
      rmSync(this.reservePath, { force: true });
      return false;
    }
  }
}
