/**
 * The "Bad MAC" race of other JS Signal libraries: an encrypt and a decrypt
 * on one session interleaving and one overwriting the other's ratchet step.
 * Here one session is hammered with concurrent sends and receives in both
 * directions, with Alice's device driven by TWO client instances over the
 * same SQLite file (plus a third instance in another process); nothing may
 * be lost, duplicated or fail to decrypt.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientProblem, SealpostClient } from '../src/client.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();

function client(path: string): SealpostClient {
  return local.client({ store: new SqliteStore(path) });
}

const pause = () => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));

/** Runs the second-instance child; resolves with the problems it reported. */
function childInstance(alicePath: string, bob: string, count: number, tag: string): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'sender-child.ts'), alicePath, String(count), ...local.childArgs(), bob, tag],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      if (code !== 0 || !out.includes('done')) reject(new Error(`child exited ${code}: ${err}`));
      else resolve(out.split('\n').filter((l) => l.startsWith('error ')));
    }),
  );
}

describe('concurrent sends and receives on one session', () => {
  it('loses nothing with three instances of one device (two in-process, one in a child process) on one database file', async () => {
    const alicePath = local.path('alice.db');
    const alice1 = client(alicePath);
    const bob = client(local.path('bob.db'));
    await alice1.register();
    await bob.register();
    const alice2 = client(alicePath); // same device, same file, second instance
    await alice2.ready();
    expect(alice2.address).toEqual(alice1.address);
    const problems: ClientProblem[] = [];
    for (const c of [alice1, alice2, bob]) c.on('error', (p) => problems.push(p));
    await alice1.addContact(bob.contactCard());
    // Establish the session both ways first, so every later step hits the same session.
    await alice1.send(bob.address.account, { text: 'hello' });
    await bob.poll();
    await bob.send(alice1.address.account, { text: 'hello back' });
    await alice2.poll();

    const perSender = 60;
    const sends = (c: SealpostClient, to: string, tag: string) =>
      (async () => {
        for (let i = 0; i < perSender; i++) {
          await c.send(to, { text: `${tag}-${i}` });
          await pause();
        }
      })();
    let sending = true;
    const receive = (c: SealpostClient) =>
      (async () => {
        while (sending) {
          await c.poll();
          await pause();
        }
        await c.poll();
      })();
    const receivers = [receive(alice1), receive(alice2), receive(bob)];
    // A third instance of Alice's device in another process, on the same file.
    const other = childInstance(alicePath, bob.address.account, perSender, 'p');
    // Each instance also runs several sends at once (not awaited one by one).
    await Promise.all([
      sends(alice1, bob.address.account, 'a1'),
      sends(alice1, bob.address.account, 'a1x'),
      sends(alice2, bob.address.account, 'a2'),
      sends(bob, alice1.address.account, 'b'),
      sends(bob, alice1.address.account, 'bx'),
    ]);
    const childProblems = await other;
    sending = false;
    await Promise.all(receivers);
    await alice1.poll();
    await bob.poll();

    expect(problems).toEqual([]);
    expect(childProblems).toEqual([]);
    const texts = async (c: SealpostClient, peer: string) =>
      (await c.history(peer, 10_000)).filter((m) => m.direction === 'in').map((m) => m.decoded.text ?? '');
    const atBob = await texts(bob, alice1.address.account);
    const atAlice = await texts(alice1, bob.address.account);
    const expected = (tags: string[]) => tags.flatMap((t) => Array.from({ length: perSender }, (_, i) => `${t}-${i}`)).sort();
    expect([...atBob].sort()).toEqual(['hello', ...expected(['a1', 'a1x', 'a2', 'p'])].sort());
    expect([...atAlice].sort()).toEqual(['hello back', ...expected(['b', 'bx'])].sort());
    console.log(`hammer: Bob decrypted ${atBob.length}, Alice decrypted ${atAlice.length}, 0 lost, 0 duplicated, 0 errors`);
    await Promise.all([alice1.close(), alice2.close(), bob.close()]);
  });
});
