/** The interactive chat (scripts/chat.ts): a service process and two profiles talking through it. */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@sealpost/client/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { startChat, type ChatProcess } from './test-support/chat-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-chat-'));
const linkDir = join(mkdtempSync(join(tmpdir(), 'sealpost-chat-link-')), 'state');
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(linkDir, '..'), { recursive: true, force: true });
});

const start = (args: string[], stateDir = dir): ChatProcess => startChat(args, stateDir, children);

describe('terminal chat', () => {
  it('two profiles chat, reply and react through locally served key server and relay', async () => {
    const serve = start(['serve', '--keyserver-port', '0', '--relay-port', '0', '--blob-port', '0']);
    await serve.waitFor(/Ctrl-C to stop/);
    const bob = start(['bob', 'alice']);
    await bob.waitFor(/chatting as bob/);
    const alice = start(['alice', 'bob']);
    await alice.waitFor(/chatting as alice/);
    alice.child.stdin.write('hello bob\n');
    await bob.waitFor(/alice: hello bob/);
    // Receipts and typing: Bob's delivery receipt (sent within a second) shows as ✓✓ at Alice; Bob's typing as a line.
    await alice.waitFor(/✓✓ "hello bob" \(bob device 1\)/);
    bob.child.stdin.write('/typing\n');
    await alice.waitFor(/bob is typing…/);
    bob.child.stdin.write('/reply hi alice\n');
    await alice.waitFor(/bob: \(reply\) hi alice/);
    bob.child.stdin.write('/react 👍\n');
    await alice.waitFor(/bob: reacted 👍/);
    // Conversations: the list with an unread count, search with a snippet, history, mark read.
    bob.child.stdin.write('/list\n');
    await bob.waitFor(/alice: 1 unread, last "reacted 👍"/);
    bob.child.stdin.write('/search HELL\n');
    await bob.waitFor(/alice: \[hello\] bob/);
    bob.child.stdin.write('/history\n');
    await bob.waitFor(/me: reacted 👍[\s\S]*me: hi alice[\s\S]*alice: hello bob[\s\S]*\(start of the conversation\)/);
    bob.child.stdin.write('/read\n');
    await bob.waitFor(/marked 1 message\(s\) read \(read receipt sent\)/);
    bob.child.stdin.write('/list\n');
    await bob.waitFor(/alice: 0 unread/);
    // Disappearing messages: either side sets the timer; both print the change; messages show it.
    bob.child.stdin.write('/timer 30s\n');
    await alice.waitFor(/⏳ disappearing messages set to 30s by bob/);
    await bob.waitFor(/⏳ disappearing messages set to 30s by bob/);
    alice.child.stdin.write('this one disappears\n');
    await bob.waitFor(/alice: this one disappears ⏳30s/);
    alice.child.stdin.write('/timer off\n');
    await bob.waitFor(/⏳ disappearing messages turned off by alice/);
    alice.child.stdin.write('/timer soon\n');
    await alice.waitFor(/! usage: \/timer 30s/);
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

  it('links a second device by URI (no private key in any argument or output); it then chats; state files are private', async () => {
    const exited = (c: ChildProcessWithoutNullStreams) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)));
    const serve = start(['serve', '--keyserver-port', '0', '--relay-port', '0', '--blob-port', '0'], linkDir);
    await serve.waitFor(/Ctrl-C to stop/);
    const bob = start(['bob', 'alice'], linkDir);
    await bob.waitFor(/chatting as bob/);
    const alice = start(['alice', 'bob'], linkDir);
    await alice.waitFor(/chatting as alice/);
    const laptop = start(['bob-2', 'alice', '--link'], linkDir);
    const [, uri] = await laptop.waitFor(/type on bob's chat: \/link (sealpost:\/\/link\?\S+)\n/);
    bob.child.stdin.write(`/link ${uri}\n`);
    await bob.waitFor(/link approved/);
    await laptop.waitFor(/linked as device 2 of /);
    await laptop.waitFor(/chatting as bob-2/);
    alice.child.stdin.write('hello both of you\n');
    await bob.waitFor(/alice: hello both of you/);
    await laptop.waitFor(/alice: hello both of you/);
    laptop.child.stdin.write('from the laptop\n');
    await alice.waitFor(/bob: from the laptop/);
    await bob.waitFor(/bob \(other device\): from the laptop/);

    // (Modes first: opening a store below would itself set them.)
    // Every state file holding keys or a profile key is 0600, the directory 0700.
    expect((statSync(linkDir).mode & 0o777).toString(8)).toBe('700');
    const files = readdirSync(linkDir).filter((f) => /^(bob|bob-2|alice)\.(db|db-wal|db-shm|card)$|^service-keys\.json$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['bob.db', 'bob-2.db', 'alice.db', 'bob.card', 'bob-2.card', 'service-keys.json', 'bob.db-wal', 'bob-2.db-wal']));
    for (const f of files) expect((statSync(join(linkDir, f)).mode & 0o777).toString(8), f).toBe('600');

    // The account's identity private key (and profile key), from bob's own database.
    const store = new SqliteStore(join(linkDir, 'bob.db'));
    const account = await store.identities.localAccount();
    await store.close();
    const row = { identity_private: Buffer.from(account!.identityPrivateKey), profile_key: Buffer.from(account!.profileKey!) };
    expect(row.identity_private.length).toBe(32);
    const forms = [row.identity_private, row.profile_key].flatMap((k) => [k.toString('base64').replace(/=+$/, ''), k.toString('base64url'), k.toString('hex')]);
    // Also inside any base64/base64url token (the old link code was base64url JSON holding the key in base64).
    const leaks = (text: string): string[] => {
      const found = forms.filter((t) => text.includes(t));
      for (const token of text.match(/[A-Za-z0-9+/_-]{24,}={0,2}/g) ?? []) {
        const bytes = Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
        if ([row.identity_private, row.profile_key].some((k) => bytes.includes(k))) found.push(`raw key inside ${token}`);
        const inner = bytes.toString('latin1');
        found.push(...forms.filter((t) => inner.includes(t)).map((t) => `${t} inside ${token}`));
      }
      return found;
    };
    expect(leaks(`code ${Buffer.from(JSON.stringify({ i: row.identity_private.toString('base64') })).toString('base64url')}`)).not.toEqual([]);
    for (const p of [serve, bob, alice, laptop]) {
      expect(leaks(p.child.spawnargs.join(' ')), p.child.spawnargs.join(' ')).toEqual([]);
      expect(leaks(p.output()), p.output()).toEqual([]);
    }
    expect(leaks(uri!)).toEqual([]);

    for (const p of [alice, bob, laptop]) p.child.stdin.write('/quit\n');
    await Promise.all([alice, bob, laptop].map(({ child }) => exited(child)));
    expect([alice, bob, laptop].map((p) => p.child.exitCode)).toEqual([0, 0, 0]);
    serve.child.kill('SIGTERM');
    await exited(serve.child);
  });
});
