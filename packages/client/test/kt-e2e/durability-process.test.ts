/**
 * Key transparency end to end: durability. Alice's device runs in a child
 * process (fixtures/kt-monitor-child.ts) over a SQLite file, monitoring
 * her own label and her contact Bob's in a loop against the real key
 * server, and is killed with SIGKILL: (1) at a hook between a verified KT
 * answer and its commit, (2) at random points of the loop. After each
 * kill the same file is reopened: the KT state decodes, its retained head
 * is a witnessed checkpoint the log really issued (the very note, its
 * root the log's root at that size), the owner and contact monitoring maps
 * survive (Alice's label owned, Bob's version 0 accepted), no evidence was
 * recorded, and the restarted device's monitoring passes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '@sealpost/client/sqlite';
import { accountLabel, encodeIdentityValue, ktPinned, labelKey, parseNote, verifyWitnessedCheckpoint } from '@sealpost/keytrans';
import { toBase64 } from '@sealpost/protocol/primitives';
import { startKtServices, type KtServices } from '@sealpost/devkit/kt-services';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'kt-monitor-child.ts');
const STEP_MS = 1000;

interface Run {
  rounds: number;
  commits: number;
  killed: boolean;
}

describe('key transparency e2e: a client killed between an answer and its commit', () => {
  let kt: KtServices | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await kt?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    kt = dir = undefined;
  });

  it('resumes after SIGKILL with consistent, verified state; owner and contact monitoring survive', async () => {
    kt = await startKtServices();
    const k = kt;
    dir = mkdtempSync(join(tmpdir(), 'sealpost-kt-durability-'));
    const path = join(dir, 'alice.db');
    const opts = { kt: { monitorIntervalMs: STEP_MS } };
    const alice = kt.client('enforce', { store: new SqliteStore(path), ...opts });
    const bob = kt.client('enforce');
    await alice.register();
    await bob.register();
    await kt.settle();
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'hi' });
    const aliceLabel = labelKey(accountLabel(alice.address.account));
    const bobLabel = labelKey(accountLabel(bob.address.account));
    const bobValue = encodeIdentityValue((await bob.store.identities.localAccount())!.identityPublicKey);
    await alice.close();

    let clockAt = kt.clock.now();
    function child(killAt: 'commit' | number | undefined, rounds: number): Promise<Run> {
      const args = {
        keyServerUrl: k.services.keyServerUrl,
        relayUrl: k.services.relayUrl,
        trustRoot: toBase64(k.services.trustRoot),
        kt: k.ktOptions('enforce', { monitorIntervalMs: STEP_MS }),
        nowMs: clockAt,
        stepMs: STEP_MS,
        rounds,
        hook: killAt === 'commit',
      };
      const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, path, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const run: Run = { rounds: 0, commits: 0, killed: false };
      let err = '';
      let out = '';
      let armed = false;
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        run.rounds = (out.match(/^round /gm) ?? []).length;
        run.commits = (out.match(/^commit$/gm) ?? []).length;
        for (const m of out.matchAll(/^round \d+ (.*)$/gm)) expect(m[1]!.split(',').every((e) => e.endsWith(':verified')), out).toBe(true);
        if (killAt === 'commit' && run.commits >= 1 && !proc.killed) proc.kill('SIGKILL');
        // After `killAt` rounds, at a random point of the next ones (a search in flight, a commit, between them).
        if (typeof killAt === 'number' && run.rounds >= killAt && !proc.killed && !armed) {
          armed = true;
          setTimeout(() => proc.kill('SIGKILL'), Math.floor(Math.random() * 40));
        }
      });
      return new Promise((resolve, reject) =>
        proc.on('exit', (code, signal) => {
          clockAt += (run.rounds + 1) * STEP_MS; // the child's clock moved on; the next run starts later still
          if (signal === 'SIGKILL') resolve({ ...run, killed: true });
          else if (code === 0) resolve(run);
          else reject(new Error(`child exited ${code}: ${err}`));
        }),
      );
    }

    /** Reopens the file and checks what a restart would find. */
    async function consistent(what: string): Promise<number> {
      const store = new SqliteStore(path);
      const again = k.client('enforce', { store, ...opts });
      await again.ready();
      const state = (await again.keyTransparency.state())!;
      expect(state, what).toBeDefined();
      const retained = state.retained!;
      // A head the device verified: witnessed under the pinned policy, the log's own note for that size, and its root.
      expect(() => verifyWitnessedCheckpoint(retained.note, ktPinned(k.pinned).policy, { origin: k.settings.origin })).not.toThrow();
      const issued = (await k.log.store.checkpoints(1000)).find((c) => c.size === retained.size)!;
      expect(parseNote(retained.note).text, what).toBe(parseNote(issued.note).text);
      expect(retained.size).toBeLessThanOrEqual(k.log.witnessed);
      expect(state.pending, what).toEqual([]);
      expect(state.owned.get(aliceLabel)?.version, what).toBe(0);
      expect(state.labels.get(bobLabel)?.version, what).toBe(0);
      expect(state.labels.get(bobLabel)?.value, what).toEqual(bobValue);
      expect(await again.keyTransparency.evidence(), what).toEqual([]);
      await again.close();
      return retained.size;
    }

    // (1) Killed at the hook: the answer verified, its commit not reached.
    const before = await consistent('before');
    await kt.advance(kt.monitorIntervalMs); // a newer witnessed head for the child to see
    const hooked = await child('commit', 3);
    expect(hooked).toMatchObject({ killed: true, commits: 1, rounds: 0 });
    expect(await consistent('killed at the commit hook')).toBe(before); // nothing of the uncommitted answer

    // (2) Killed at random points of the loop, each run after the log moved on.
    const sizes: number[] = [];
    const rounds: number[] = [];
    for (let run = 0; run < 3; run++) {
      await kt.advance(kt.monitorIntervalMs);
      const r = await child(1 + Math.floor(Math.random() * 4), 1000);
      expect(r.killed).toBe(true);
      expect(r.rounds).toBeGreaterThanOrEqual(1);
      rounds.push(r.rounds);
      sizes.push(await consistent(`random kill ${run} after ${r.rounds} rounds`));
    }
    // The retained head never goes back across the kills.
    expect([before, ...sizes]).toEqual([before, ...sizes].slice().sort((x, y) => x - y));

    // The restarted device monitors on: a clean run, then its own monitoring in process.
    await kt.advance(kt.monitorIntervalMs);
    const clean = await child(undefined, 2);
    expect(clean).toMatchObject({ killed: false, rounds: 2 });
    expect(await consistent('after a clean run')).toBe(kt.log.witnessed);
    kt.clock.ms = clockAt;
    await kt.advance(kt.monitorIntervalMs);
    const restarted = kt.client('enforce', { store: new SqliteStore(path), ...opts });
    await restarted.ready();
    const events = await restarted.keyTransparency.monitorNow();
    expect(events.map((e) => [e.source, e.kind, e.account])).toEqual([
      ['owner', 'verified', alice.address.account],
      ['contact', 'verified', bob.address.account],
    ]);
  });
});
