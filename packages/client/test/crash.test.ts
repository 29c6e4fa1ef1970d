/**
 * Crash safety: Bob's device runs in a child process that is killed with
 * SIGKILL at random points while it receives 1,000 messages. After the
 * restarts every message is stored exactly once, nothing failed to decrypt,
 * and the session still works both ways.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { useLocalServices } from './support/local-services.ts';

const TOTAL = 1000;
const local = useLocalServices({ relayDb: 'relay.db' });

/** Runs the child until it has printed `killAfter` stored lines (then SIGKILL), or until it says done. */
function runChild(bobPath: string, killAfter: number | undefined): Promise<{ done: boolean; stored: number; errors: string[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'receiver-child.ts'), bobPath, String(TOTAL), ...local.childArgs()],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stored = 0;
  let done = false;
  const errors: string[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('stored ')) stored++;
      else if (line === 'done') done = true;
      else if (line.startsWith('error ')) errors.push(line);
      if (killAfter !== undefined && stored >= killAfter && child.exitCode === null && !child.killed) {
        // Let a random little bit more happen, so the kill lands anywhere in a step.
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 15));
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ done, stored, errors });
      else reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it(`receives ${TOTAL} messages exactly once across random SIGKILLs, and the session still works`, async () => {
    const alice = local.client({ store: new MemoryStore() });
    const bobPath = local.path('bob.db');
    const bob = local.client({ store: new SqliteStore(bobPath) });
    await alice.register();
    await bob.register();
    const bobAccount = bob.address.account;
    await alice.addContact(bob.contactCard());
    await bob.close();
    // Alice keeps sending while Bob's device receives (and is killed).
    const t0 = Date.now();
    let sendMs = 0;
    const sending = (async () => {
      for (let i = 0; i < TOTAL; i++) await alice.send(bobAccount, { text: `msg ${i}` });
      sendMs = Date.now() - t0;
    })();

    let kills = 0;
    let seenByApp = 0;
    const errors: string[] = [];
    for (let run = 0; run < 60; run++) {
      const killAfter = run < 8 ? 5 + Math.floor(Math.random() * 150) : undefined;
      const result = await runChild(bobPath, killAfter);
      seenByApp += result.stored;
      errors.push(...result.errors);
      if (result.done) break;
      kills++;
    }
    await sending;
    expect(kills).toBeGreaterThan(3);

    const store = new SqliteStore(bobPath);
    const texts = (await store.history.conversation(alice.address.account, 10 * TOTAL)).map((m) => new TextDecoder().decode(m.content));
    const inbox = await store.history.conversation(alice.address.account, 10 * TOTAL);
    expect(inbox).toHaveLength(TOTAL);
    expect(new Set(inbox.map((m) => m.envelopeId)).size).toBe(TOTAL);
    expect(texts).toHaveLength(TOTAL);
    await store.close();
    expect(errors).toEqual([]);

    const bob2 = local.client({ store: new SqliteStore(bobPath) });
    await bob2.ready();
    const stored = (await bob2.history(alice.address.account, 10 * TOTAL)).map((m) => m.decoded.text);
    expect([...stored].sort()).toEqual(Array.from({ length: TOTAL }, (_, i) => `msg ${i}`).sort());
    // Nothing left at the relay, everything accepted by the app.
    expect((await bob2.relay.fetch()).envelopes).toHaveLength(0);
    expect(await bob2.store.history.undelivered()).toHaveLength(0);
    // The session still works both ways.
    await bob2.send(alice.address.account, { text: 'still here' });
    const aliceGot: string[] = [];
    alice.on('message', (m) => aliceGot.push(m.content.text ?? ''));
    await alice.poll();
    expect(aliceGot).toEqual(['still here']);
    await alice.send(bobAccount, { text: 'and back' });
    const bobGot: string[] = [];
    bob2.on('message', (m) => bobGot.push(m.content.text ?? ''));
    await bob2.poll();
    expect(bobGot).toEqual(['and back']);
    console.log(`crash: ${TOTAL} messages stored exactly once after ${kills} SIGKILLs; app callback ran ${seenByApp} times (at-least-once to the app); sending took ${sendMs} ms`);
    await alice.close();
    await bob2.close();
  });
});
