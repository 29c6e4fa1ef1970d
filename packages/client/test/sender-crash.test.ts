/**
 * Crash safety on the sending side: Alice's device runs in a child process
 * killed with SIGKILL at random points while it sends. Whatever was sealed
 * is either in her history (the relay accepted it) or in her outbox (sent
 * on the next start); Bob ends up with exactly the messages in Alice's
 * history, each once, and nothing fails to decrypt.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientProblem } from '../src/client.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices({ relayDb: 'relay.db' });

let flushed = 0;
function runSender(alicePath: string, bob: string, count: number, tag: string, killAfter: number | undefined): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'sender-crash-child.ts'), alicePath, String(count), ...local.childArgs(), bob, '', tag],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let sent = 0;
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    sent += (d.toString().match(/^sent /gm) ?? []).length;
    for (const m of d.toString().matchAll(/^flushed (\d+)$/gm)) flushed += Number(m[1]);
    if (killAfter !== undefined && sent >= killAfter && child.exitCode === null && !child.killed) {
      setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 8));
    }
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code, signal) => (signal === 'SIGKILL' || code === 0 ? resolve(sent) : reject(new Error(`sender exited ${code}: ${err}`)))),
  );
}

describe('sender crash safety', () => {
  it('a sender killed mid-send loses nothing it sealed and duplicates nothing', async () => {
    const alicePath = local.path('alice.db');
    const alice = local.client({ store: new SqliteStore(alicePath) });
    const bob = local.client({ store: new MemoryStore() });
    await alice.register();
    await bob.register();
    await alice.addContact(bob.contactCard());
    const bobAccount = bob.address.account;
    const aliceAccount = alice.address.account;
    await alice.close();

    for (let run = 0; run < 6; run++) await runSender(alicePath, bobAccount, 60, `r${run}`, 3 + Math.floor(Math.random() * 40));
    await runSender(alicePath, bobAccount, 1, 'final', undefined); // flushes the outbox, sends one more

    const problems: ClientProblem[] = [];
    bob.on('error', (p) => problems.push(p));
    await bob.poll();
    const aliceAgain = local.client({ store: new SqliteStore(alicePath) });
    expect(await aliceAgain.store.outbox.batches()).toHaveLength(0);
    const sentHistory = (await aliceAgain.history(bobAccount, 10_000)).map((m) => m.decoded.text!);
    const received = (await bob.history(aliceAccount, 10_000)).map((m) => m.decoded.text!);
    expect(problems).toEqual([]);
    expect(new Set(received).size).toBe(received.length);
    expect([...received].sort()).toEqual([...sentHistory].sort());
    expect(received).toContain('final-0');
    console.log(`sender crash: ${received.length} messages sent across 6 SIGKILLs (${flushed} sealed batches resent from the outbox), each received exactly once, 0 errors`);
    await bob.close();
    await aliceAgain.close();
  });
});

