/**
 * Issue 11.5: frame floods. Client frames are rate-limited per connection
 * (token bucket; each pushed envelope earns the ack frame it asks for) and an
 * ack frame carries at most `wsMaxAckIds` ids, so a flood is cut off (close
 * 1008) after a bounded number of frames and costs the relay — a child
 * process whose CPU time is read from /proc — a bounded amount of CPU.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSealed } from './support/harness.ts';
import { closeOf, cpuMs, openSocket } from './support/proc.ts';
import { startAttackWorld, type AttackWorld } from './support/attack-world.ts';

let w: AttackWorld;
beforeAll(async () => {
  w = await startAttackWorld();
});
afterAll(async () => w?.close());

/** Writes `frames` as fast as the socket takes them (stops when it closes); resolves with the close and frames written. */
async function flood(frame: () => string, frames: number) {
  const ws = await openSocket(w.world.relay.url, w.mallory.devices[0]!.relayToken);
  const closed = closeOf(ws, 30_000);
  let written = 0;
  let open = true;
  ws.once('close', () => {
    open = false;
  });
  while (open && written < frames) {
    ws.send(frame());
    written++;
    // Yield now and then so the close can arrive (and the kernel buffer limits what is in flight).
    if (written % 100 === 0) await new Promise((r) => setImmediate(r));
    if (ws.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 5));
  }
  return { ...(await closed), written };
}

async function witnessStillReceives(marker: number): Promise<void> {
  const before = w.witness.received.length;
  const d = w.bob.devices[0]!;
  expect((await w.world.client.send(w.bob.id, w.bob.accessKey, [{ deviceId: 1, registrationId: d.registrationId, content: fakeSealed(marker) }])).status).toBe(200);
  await w.witness.waitFor(() => w.witness.received.length === before + 1);
}

describe('frame floods (issue 11.5)', () => {
  it('400,000 one-byte frames: closed on the first, relay CPU bounded', async () => {
    const pid = w.world.relay.pid!;
    const cpu0 = cpuMs(pid);
    const out = await flood(() => '1', 400_000);
    await new Promise((r) => setTimeout(r, 300));
    const spent = cpuMs(pid) - cpu0;
    console.log(`one-byte flood: ${out.written} frames written, relay CPU ${spent} ms, close ${out.code}`);
    expect(out.code).toBe(1008);
    // Measured 10.9 s of relay CPU before the fix; now the relay stops reading after the first frame.
    expect(spent).toBeLessThan(2000);
    await witnessStillReceives(1);
  });

  it('valid ack frames with many random ids: cut off by the frame rate, relay CPU bounded', async () => {
    const pid = w.world.relay.pid!;
    const ids = (): string[] => Array.from({ length: 100 }, () => randomBytes(16).toString('base64url'));
    const cpu0 = cpuMs(pid);
    const t0 = performance.now();
    const out = await flood(() => JSON.stringify({ type: 'ack', ids: ids() }), 20_000);
    const spent = cpuMs(pid) - cpu0;
    console.log(`ack flood (100 random ids each): ${out.written} frames written, relay CPU ${spent} ms, close ${out.code} ${out.reason}`);
    expect(out.code).toBe(1008);
    expect(out.reason).toBe('frame rate exceeded');
    // The burst (200 frames) plus what the rate refills during the flood, not 20,000 frames.
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(spent).toBeLessThan(2000);
    // More than 100 ids in one frame is not a valid frame.
    const big = await flood(() => JSON.stringify({ type: 'ack', ids: [...ids(), ...ids()] }), 1);
    expect(big.code).toBe(1008);
    await witnessStillReceives(2);
  });

  it('a client acknowledging one envelope per frame is never cut off (each push earns its ack)', async () => {
    const d = w.bob.devices[0]!;
    const before = w.witness.received.length;
    // 600 envelopes, three times the frame burst, each acknowledged in its own frame by the w.witness.
    for (let i = 0; i < 600; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          w.world.client.send(w.bob.id, w.bob.accessKey, [{ deviceId: 1, registrationId: d.registrationId, content: fakeSealed(1000 + i + j) }]),
        ),
      );
    }
    await w.witness.waitFor(() => w.witness.received.length === before + 600, 30_000);
    expect(w.witness.ws.readyState).toBe(w.witness.ws.OPEN);
  });
});
