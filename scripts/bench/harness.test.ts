/**
 * The benchmark's harnesses must do real work: every implementation's
 * conversation round-trips exact bytes in both directions, survives reverse
 * delivery, and sets sessions up — so a fast number can never come from a
 * harness that silently skips a step.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { implementations } from './implementations.ts';
import { createRequire } from 'node:module';
import { messageOverhead, outOfOrder, recordSize, symmetric } from './scenarios.ts';
import { settings, throughputInterleaved } from './timing.ts';

const impls = await implementations();

describe.each(impls.map((impl) => [impl.name, impl] as const))('bench harness %s', (_name, impl) => {
  it('round-trips exact plaintexts both ways, with the ratchet turning', async () => {
    const conversation = await impl.establish();
    for (let i = 0; i < 4; i++) {
      const from = i % 2 === 0 ? 'alice' : 'bob';
      const to = from === 'alice' ? 'bob' : 'alice';
      for (const size of [0, 1, 64, 1024]) {
        const plaintext = new Uint8Array(randomBytes(size));
        const received = await conversation.receive(to, await conversation.send(from, plaintext));
        expect(Buffer.from(received).equals(Buffer.from(plaintext))).toBe(true);
      }
    }
  });

  it('rejects a message delivered twice or to the wrong side', async () => {
    const conversation = await impl.establish();
    const message = await conversation.send('alice', new Uint8Array(16));
    await conversation.receive('bob', message);
    if (impl.name.startsWith('floor')) return; // the floor keeps no skipped-key state, by design
    await expect(Promise.resolve().then(() => conversation.receive('bob', message))).rejects.toThrow();
  });

  it.runIf(impl.supports.has('out-of-order'))('decrypts 50 messages delivered in reverse', async () => {
    const task = outOfOrder(impl, 50);
    const prepared = await task.prepare();
    expect(prepared.messages).toHaveLength(50);
    await task.run(prepared);
  });

  it('measures throughput through the interleaved runner', async () => {
    const saved = { ...settings };
    settings.rounds = 2;
    settings.roundMs = 20;
    try {
      const results = await throughputInterleaved(new Map([[impl.name, await symmetric(impl, 64)]]));
      const figure = results.get(impl.name);
      expect(figure?.rounds).toBe(2);
      expect(figure!.median).toBeGreaterThan(0);
    } finally {
      Object.assign(settings, saved);
    }
  });

  it.runIf(impl.supports.has('setup'))('sets up sessions from bundles', async () => {
    await impl.prepareSetups!(3);
    for (let i = 0; i < 3; i++) await impl.setupOnce!(i);
  });

  it.runIf(impl.supports.has('record-size'))('reports a non-empty serialized record', async () => {
    const size = await recordSize(impl, 20);
    expect(size.median).toBeGreaterThan(100);
  });

  it.runIf(impl.supports.has('record-size'))('reports a per-message overhead where messages are byte strings', async () => {
    const overhead = await messageOverhead(impl, 20);
    // Wire bytes are measured for ours and both libsignal-client columns, the brief's four.
    const measured = impl.name.startsWith('sealpost') || impl.name.startsWith('libsignal-client');
    if (!measured) return expect(overhead).toBeNull();
    // At least version byte + ratchet key + counters + MAC + padding; below the plaintext-free record.
    expect(overhead!.median).toBeGreaterThan(40);
    expect(overhead!.median).toBeLessThan(4000);
  });

  it.runIf(impl.supports.has('heap'))('holds the requested number of session records', async () => {
    const held = await impl.holdSessions!(3);
    expect(held).toHaveLength(3);
    // Records held as objects must be separate objects (strings compare by value, so only objects are checked).
    const objects = held.filter((h) => typeof h === 'object');
    expect(new Set(objects).size).toBe(objects.length);
  });
});

describe('bench column libsignal-client-0103', () => {
  it('is backed by @signalapp/libsignal-client 0.103.0, the 0.90 column by 0.90.0', () => {
    const require = createRequire(import.meta.url);
    expect((require('@signalapp/libsignal-client-0103/package.json') as { version: string }).version).toBe('0.103.0');
    expect((require('@signalapp/libsignal-client/package.json') as { version: string }).version).toBe('0.90.0');
    expect(impls.map((i) => i.name)).toContain('libsignal-client-0103');
  });
});
