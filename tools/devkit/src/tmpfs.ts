/**
 * A small tmpfs for disk-full tests: mounted in a fresh temporary folder
 * (needs root, as on the development and CI machines), or the reason it
 * could not be, so a test can skip with that message.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Tmpfs = { ok: true; dir: string; unmount(): void } | { ok: false; reason: string };

/** Mounts a tmpfs of `sizeMiB` MiB (mode 0700) under a new temporary folder. */
export function mountTmpfs(sizeMiB: number, prefix = 'sealpost-tmpfs-'): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim() };
  }
  return {
    ok: true,
    dir,
    unmount: () => {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Bytes an unprivileged writer may still use on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Writes a file in `dir` until the file system refuses (ENOSPC), to the last byte; returns its path. */
export function fillFileSystem(dir: string, name = 'filler'): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  try {
    for (;;) writeSync(fd, chunk, 0, 512);
  } catch {
    // full
  }
  closeSync(fd);
  return path;
}
