/**
 * A benchmark target as a child process: a tsx script under scripts/bench
 * that prints one JSON line describing itself once it listens, and on
 * SIGTERM exits after writing its last report line to stderr. Used by the
 * key server benchmark and the scale-out benchmark.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** A running target: what it printed first, its pid, and how to stop it. */
export type Target<T> = T & {
  pid: number;
  /** SIGTERM; resolves with everything it wrote to stderr. */
  stop(): Promise<string>;
};

/** Starts `scripts/bench/<script>` with `args` and resolves with the JSON line it prints when ready. */
export function startTarget<T extends object>(script: string, args: string[]): Promise<Target<T>> {
  return new Promise((resolvePromise, reject) => {
    // node itself (tsx as a loader), so `pid` is the server's process and its CPU time is the server's.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench', script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`target exited (${code}): ${err}`));
    });
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const info = JSON.parse(out.slice(0, nl)) as T;
      resolvePromise({
        ...info,
        pid: child.pid!,
        stop: () =>
          new Promise((r) => {
            if (child.exitCode !== null) return r(err);
            child.on('exit', () => r(err));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
