/**
 * Issue 11.4 (queues): a device queue is bounded in bytes as well as in
 * envelopes, and sealed sends are budgeted per source address and per
 * (recipient, source), so one anonymous sender holding the access key cannot
 * fill a victim's queue and lock out real senders. Sources are distinct
 * loopback addresses (127.0.0.2, 127.0.0.3, ...), real HTTP.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

let harness: RelayHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Sends one envelope per listed device from `localAddress`; resolves to status, error code and Retry-After. */
function sendFrom(
  agent: Agent,
  h: RelayHarness,
  accountId: string,
  accessKey: Uint8Array,
  messages: Array<{ deviceId: number; registrationId: number; content: Uint8Array }>,
): Promise<{ status: number; code?: string; retryAfter?: string }> {
  const body = JSON.stringify({ messages: messages.map((m) => ({ ...m, content: Buffer.from(m.content).toString('base64') })) });
  const url = new URL(`${h.client.baseUrl}/v1/messages/${accountId}`);
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'PUT', headers: { 'content-type': 'application/json', 'unidentified-access-key': Buffer.from(accessKey).toString('base64') } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string } };
          resolve({ status: res.statusCode!, code: parsed.error?.code, retryAfter: res.headers['retry-after'] as string | undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const agents: Agent[] = [];
function source(address: string): Agent {
  const a = new Agent({ keepAlive: true, maxSockets: 8, localAddress: address });
  agents.push(a);
  return a;
}
afterEach(() => {
  for (const a of agents) a.destroy();
  agents.length = 0;
});

async function victim(h: RelayHarness) {
  const id = newAccountId();
  h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 9 }]);
  const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
  expect((await h.client.setAccessKey(id, h.credential(id, 1), key)).status).toBe(204);
  return { id, key, one: (content: Uint8Array) => [{ deviceId: 1, registrationId: 9, content }] };
}

describe('queue and send limits (issue 11.4)', () => {
  it('10,000 tiny sends from one source do not lock real senders out of the queue', async () => {
    harness = await startRelay();
    const h = harness;
    const v = await victim(h);
    const attacker = source('127.0.0.2');
    const tally = new Map<string, number>();
    let next = 0;
    let retryAfter: string | undefined;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 10_000) {
          next++;
          const r = await sendFrom(attacker, h, v.id, v.key, v.one(fakeSealed(1, 16)));
          const k = r.status === 200 ? 'ok' : `${r.status} ${r.code}`;
          tally.set(k, (tally.get(k) ?? 0) + 1);
          if (r.status === 429) retryAfter = r.retryAfter;
        }
      }),
    );
    // The (recipient, source) budget: the first 2,000 are queued, the rest refused with Retry-After.
    expect(tally.get('ok')).toBe(2000);
    expect(tally.get('429 RATE_LIMITED')).toBe(8000);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Real senders from elsewhere still get in; the queue holds 2,000 + theirs, far from its 10,000.
    for (const [i, addr] of ['127.0.0.3', '127.0.0.4', '127.0.0.5'].entries()) {
      expect((await sendFrom(source(addr), h, v.id, v.key, v.one(fakeSealed(100 + i)))).status).toBe(200);
    }
    const poll = await h.client.poll(h.credential(v.id, 1), 100);
    expect(poll.body.more).toBe(true);
  });

  it('per-source budget over all recipients; other sources unaffected', async () => {
    harness = await startRelay({ limits: { sourceBurst: 30, sourcePerSecond: 1 } });
    const h = harness;
    const a = await victim(h);
    const b = await victim(h);
    const s = source('127.0.0.6');
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await sendFrom(s, h, a.id, a.key, a.one(fakeSealed(i)))).status);
      statuses.push((await sendFrom(s, h, b.id, b.key, b.one(fakeSealed(i)))).status);
    }
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(30);
    expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(31);
    const r = await sendFrom(s, h, b.id, b.key, b.one(fakeSealed(99)));
    expect(r).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect((await sendFrom(source('127.0.0.7'), h, b.id, b.key, b.one(fakeSealed(98)))).status).toBe(200);
  });

  it('a device queue is bounded in bytes as well as envelopes (429 QUEUE_FULL), and frees up on acknowledgement', async () => {
    harness = await startRelay({ limits: { maxQueueBytes: 1024 * 1024 } });
    const h = harness;
    const v = await victim(h);
    const s = source('127.0.0.8');
    const big = fakeSealed(7, 200 * 1024);
    const statuses: Array<{ status: number; code?: string }> = [];
    for (let i = 0; i < 6; i++) statuses.push(await sendFrom(s, h, v.id, v.key, v.one(big)));
    // 5 × 200 KiB fit in 1 MiB; the sixth does not, though the queue holds only 5 envelopes.
    expect(statuses.slice(0, 5).every((x) => x.status === 200)).toBe(true);
    expect(statuses[5]).toMatchObject({ status: 429, code: 'QUEUE_FULL' });
    // Small ones still fit in what is left.
    expect((await sendFrom(s, h, v.id, v.key, v.one(fakeSealed(8, 1000)))).status).toBe(200);
    const cred = h.credential(v.id, 1);
    const polled = await h.client.poll(cred, 2);
    expect((await h.client.ack(cred, polled.body.messages.map((m) => m.id))).status).toBe(200);
    expect((await sendFrom(s, h, v.id, v.key, v.one(big))).status).toBe(200);
  });

  it('poll responses are bounded in bytes (always at least one envelope), with more: true', async () => {
    harness = await startRelay({ limits: { maxPollBytes: 300 * 1024 } });
    const h = harness;
    const v = await victim(h);
    const s = source('127.0.0.9');
    for (let i = 0; i < 5; i++) expect((await sendFrom(s, h, v.id, v.key, v.one(fakeSealed(i, 100 * 1024)))).status).toBe(200);
    const cred = h.credential(v.id, 1);
    const first = await h.client.poll(cred);
    expect(first.body.messages).toHaveLength(3);
    expect(first.body.more).toBe(true);
    await h.client.ack(cred, first.body.messages.map((m) => m.id));
    const second = await h.client.poll(cred);
    expect(second.body.messages).toHaveLength(2);
    expect(second.body.more).toBe(false);
    // One envelope larger than the bound still comes out, alone.
    harness.app.relay.limits.maxPollBytes = 1000;
    const lone = await h.client.poll(cred);
    expect(lone.body.messages).toHaveLength(1);
    expect(lone.body.more).toBe(true);
  });
});
