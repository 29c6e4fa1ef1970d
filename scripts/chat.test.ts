/** The interactive chat (scripts/chat.ts): a service process and two profiles talking through it. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'sealpost-chat-'));
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[]): { child: ChildProcessWithoutNullStreams; output: () => string; waitFor: (re: RegExp) => Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'chat.ts'), ...args, '--dir', dir], { cwd: root });
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

describe('terminal chat', () => {
  it('two profiles chat, reply and react through locally served key server and relay', async () => {
    const serve = start(['serve', '--keyserver-port', '0', '--relay-port', '0']);
    await serve.waitFor(/Ctrl-C to stop/);
    const bob = start(['bob', 'alice']);
    await bob.waitFor(/chatting as bob/);
    const alice = start(['alice', 'bob']);
    await alice.waitFor(/chatting as alice/);
    alice.child.stdin.write('hello bob\n');
    await bob.waitFor(/alice: hello bob/);
    bob.child.stdin.write('/reply hi alice\n');
    await alice.waitFor(/bob: \(reply\) hi alice/);
    bob.child.stdin.write('/react 👍\n');
    await alice.waitFor(/bob: reacted 👍/);
    alice.child.stdin.write('/safety\n');
    bob.child.stdin.write('/safety\n');
    const a = await alice.waitFor(/safety number with bob: ([\d ]{71})/);
    const b = await bob.waitFor(/safety number with alice: ([\d ]{71})/);
    expect(a[1]).toBe(b[1]);
    alice.child.stdin.write('/quit\n');
    bob.child.stdin.write('/quit\n');
    await Promise.all([alice, bob].map(({ child }) => new Promise((r) => (child.exitCode !== null ? r(null) : child.on('exit', r)))));
    expect(alice.child.exitCode).toBe(0);
    expect(bob.child.exitCode).toBe(0);
    serve.child.kill('SIGTERM');
    await new Promise((r) => serve.child.on('exit', r));
  });
});
