/**
 * Issue 11.1: no WebSocket frame, of any content or size, takes the relay
 * down or disturbs another connection. The relay runs as a child process;
 * fuzzed frames (random JSON values, random text, binary, empty, huge,
 * invalid UTF-8) go over real sockets, each on its own connection, while a
 * witness connection of another device stays open and keeps receiving.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSealed } from './support/harness.ts';
import { closeOf, openSocket } from './support/proc.ts';
import { startAttackWorld, type AttackWorld } from './support/attack-world.ts';

let w: AttackWorld;
beforeAll(async () => {
  w = await startAttackWorld();
});
afterAll(async () => w?.close());

/** Sends one frame on a fresh connection of a fresh device; resolves with how the relay closed it. */
async function frameOutcome(payload: string | Buffer, options: { binary: boolean }): Promise<{ code: number; errorFrame: boolean }> {
  const ws = await openSocket(w.world.relay.url, w.mallory.devices[0]!.relayToken);
  let errorFrame = false;
  ws.on('message', (data) => {
    if ((JSON.parse(String(data)) as { type?: string }).type === 'error') errorFrame = true;
  });
  const closed = closeOf(ws);
  ws.send(payload, { binary: options.binary });
  const { code } = await closed;
  return { code, errorFrame };
}

/** The relay still serves: health answers, the witness is open and a new envelope reaches it. */
async function stillServing(marker: number): Promise<void> {
  expect((await fetch(`${w.world.relay.url}/health`)).status).toBe(200);
  expect(w.witness.ws.readyState).toBe(w.witness.ws.OPEN);
  const before = w.witness.received.length;
  const d = w.bob.devices[0]!;
  const r = await w.world.client.send(w.bob.id, w.bob.accessKey, [{ deviceId: 1, registrationId: d.registrationId, content: fakeSealed(marker) }]);
  expect(r.status).toBe(200);
  await w.witness.waitFor(() => w.witness.received.length === before + 1);
  expect(w.witness.received.at(-1)!.content).toEqual(fakeSealed(marker));
}

describe('WebSocket frames (issue 11.1)', () => {
  it('closes on null, non-objects and malformed acks with 1007/1008, and the relay keeps serving', async () => {
    const cases = ['null', 'true', '0', '"ack"', '[]', '{}', '{"type":"ack"}', '{"type":"ack","ids":null}', '{"type":"ack","ids":[]}', '{"type":"ack","ids":[1]}', '{"type":"ack","ids":{"length":3}}', '{"type":"ack","id":null}', '{"type":"ack","id":"x"}', '{"__proto__":{"type":"ack"}}', '{"type":"ping"}', `{"type":"ack","ids":${JSON.stringify(Array.from({ length: 101 }, () => 'A'.repeat(22)))}}`];
    for (const c of cases) {
      const out = await frameOutcome(c, { binary: false });
      expect(out.code, c).toBe(1008);
      expect(out.errorFrame, c).toBe(true);
    }
    for (const c of ['', 'nul', '{', '\u0000', 'ack']) expect((await frameOutcome(c, { binary: false })).code, JSON.stringify(c)).toBe(1007);
    await stillServing(1);
  });

  it('fuzz: random JSON values, random text and binary frames never take the relay down', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const { code } = await frameOutcome(JSON.stringify(value), { binary: false });
        // A random value is never a valid ack frame (ids must be 22-character envelope ids).
        expect(code).toBe(1008);
      }),
      { numRuns: 120 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (text) => {
        const { code } = await frameOutcome(text, { binary: false });
        expect([1007, 1008]).toContain(code);
      }),
      { numRuns: 80 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        expect((await frameOutcome(Buffer.from(bytes), { binary: true })).code).toBe(1003);
      }),
      { numRuns: 40 },
    );
    await stillServing(2);
  });

  it('empty, huge and invalid UTF-8 frames: 1003 / 1007 / 1009, nothing else disturbed', async () => {
    expect((await frameOutcome(Buffer.alloc(0), { binary: true })).code).toBe(1003);
    // Too large: the relay closes with 1009 while the peer is still writing, which the peer may see as a reset (1006).
    expect([1006, 1009]).toContain((await frameOutcome(Buffer.alloc(4 * 1024 * 1024, 0x7b), { binary: false })).code);
    expect([1006, 1009]).toContain((await frameOutcome(randomBytes(2 * 1024 * 1024), { binary: true })).code);
    expect((await frameOutcome(Buffer.alloc(20 * 1024, 0x20), { binary: false })).code).toBe(1009);
    expect((await frameOutcome(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })).code).toBe(1007);
    // A valid acknowledgement of ids this device never had keeps the connection open.
    const ws = await openSocket(w.world.relay.url, w.mallory.devices[0]!.relayToken);
    ws.send(JSON.stringify({ type: 'ack', ids: [randomBytes(16).toString('base64url')] }));
    await new Promise((r) => setTimeout(r, 200));
    expect(ws.readyState).toBe(ws.OPEN);
    ws.close();
    await stillServing(3);
  });
});
