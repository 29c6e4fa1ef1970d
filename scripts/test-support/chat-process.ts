/** Drives `scripts/chat.ts` as a child process for the chat tests: its output, and a wait for a line. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface ChatProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything printed so far (stdout and stderr). */
  output: () => string;
  /** Resolves with the first match of `re` in the output; throws after 30 s or when the process exits first. */
  waitFor: (re: RegExp) => Promise<RegExpMatchArray>;
}

/** Starts `chat.ts ARGS --dir STATEDIR`; the child is added to `children` (for the test's clean-up). */
export function startChat(args: string[], stateDir: string, children: ChildProcessWithoutNullStreams[]): ChatProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'chat.ts'), ...args, '--dir', stateDir], { cwd: root });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const waitFor = async (re: RegExp) => {
    const end = Date.now() + 30_000;
    for (;;) {
      const m = out.match(re);
      if (m !== null) return m;
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${re} in output:\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, output: () => out, waitFor };
}
