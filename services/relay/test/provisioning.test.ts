/**
 * Provisioning mailboxes (issue 11 item 16) over real HTTP and WebSocket: a
 * new device opens an unauthenticated socket and is given a random mailbox
 * id; one authenticated PUT delivers one bounded body to it; the mailbox is
 * single-use, expires, refuses client frames and is bounded in number.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startRelay, newAccountId, type RelayHarness } from './support/harness.ts';
import { addressGroup, type ProvisioningLimits } from '../src/routes/provisioning.ts';

const running: RelayHarness[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(running.splice(0).map((h) => h.close()));
});

async function relay(provisioning: Partial<ProvisioningLimits> = {}): Promise<RelayHarness & { base: string }> {
  const h = await startRelay({ provisioning });
  running.push(h);
  return Object.assign(h, { base: `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}` });
}

interface Mailbox {
  socket: WebSocket;
  id: string;
  expiresAt: number;
  frames: unknown[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a mailbox socket and waits for its address frame. */
async function openMailbox(base: string): Promise<Mailbox> {
  const socket = new WebSocket(`${base.replace('http', 'ws')}/v1/provisioning`);
  sockets.push(socket);
  const frames: unknown[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const address = await new Promise<{ id: string; expiresAt: number }>((resolve, reject) => {
    socket.on('message', (data) => {
      const f = JSON.parse(String(data)) as { type: string; id: string; expiresAt: number };
      frames.push(f);
      if (f.type === 'address') resolve(f);
    });
    socket.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused ${res.statusCode}`), { status: res.statusCode, retryAfter: res.headers['retry-after'] })));
    socket.on('error', reject);
  });
  return { socket, frames, closed, ...address };
}

/** PUTs `body` to mailbox `id` with a valid relay credential, `token` instead, or none (`null`). */
async function put(h: RelayHarness & { base: string }, id: string, body: string, token?: string | null) {
  if (token === undefined) {
    // A device the key server lists: the relay checks every credential against its directory.
    const accountId = newAccountId();
    h.directory.accounts.set(accountId, [{ deviceId: 1, registrationId: 1 }]);
    token = h.credential(accountId, 1);
  }
  const res = await fetch(`${h.base}/v1/provisioning/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ body }),
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? (JSON.parse(text) as { error?: { code: string } }) : undefined };
}

describe('relay provisioning mailboxes', () => {
  it('delivers one PUT body to the mailbox socket, then closes it; the mailbox is single-use', async () => {
    const h = await relay();
    const before = Date.now();
    const box = await openMailbox(h.base);
    expect(box.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(box.expiresAt).toBeGreaterThanOrEqual(before + 5 * 60_000 - 1000);
    const other = await openMailbox(h.base);
    expect(other.id).not.toBe(box.id);
    const body = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff)).toString('base64');
    expect((await put(h, box.id, body)).status).toBe(204);
    expect(await box.closed).toEqual({ code: 1000, reason: 'delivered' });
    expect(box.frames).toEqual([{ type: 'address', id: box.id, expiresAt: box.expiresAt }, { type: 'provision', body }]);
    const again = await put(h, box.id, body);
    expect(again.status).toBe(404);
    expect(again.body?.error?.code).toBe('UNKNOWN_MAILBOX');
    // The other mailbox is untouched by it.
    expect(other.frames).toHaveLength(1);
    expect(other.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses unauthenticated, unknown, malformed and oversized deliveries', async () => {
    const h = await relay({ maxMessageBytes: 1024 });
    const box = await openMailbox(h.base);
    const ok = Buffer.alloc(1024, 7).toString('base64');
    expect((await put(h, box.id, ok, null)).status).toBe(401);
    expect((await put(h, box.id, 'AAAA', 'not-a-credential')).status).toBe(401);
    const unknown = await put(h, 'A'.repeat(22), ok);
    expect([unknown.status, unknown.body?.error?.code]).toEqual([404, 'UNKNOWN_MAILBOX']);
    expect((await put(h, 'short', ok)).status).toBe(400);
    expect((await put(h, box.id, 'not base64!')).status).toBe(400);
    const big = await put(h, box.id, Buffer.alloc(1025, 7).toString('base64'));
    expect([big.status, big.body?.error?.code]).toEqual([413, 'PROVISIONING_MESSAGE_TOO_LARGE']);
    // None of the refusals used the mailbox up: a body of exactly the cap still arrives.
    expect(box.frames).toHaveLength(1);
    expect((await put(h, box.id, ok)).status).toBe(204);
    expect((await box.closed).code).toBe(1000);
    expect(box.frames.at(-1)).toEqual({ type: 'provision', body: ok });
  });

  it('expires: the socket is closed with 4408 and a later PUT finds no mailbox', async () => {
    const h = await relay({ ttlMs: 300 });
    const box = await openMailbox(h.base);
    expect(box.expiresAt - Date.now()).toBeLessThanOrEqual(300);
    expect(await box.closed).toEqual({ code: 4408, reason: 'mailbox expired' });
    expect((await put(h, box.id, 'AAAA')).status).toBe(404);
  });

  it('a mailbox ends when its client sends a frame or closes its socket', async () => {
    const h = await relay();
    const chatty = await openMailbox(h.base);
    chatty.socket.send('hello');
    expect((await chatty.closed).code).toBe(1008);
    expect((await put(h, chatty.id, 'AAAA')).status).toBe(404);
    const gone = await openMailbox(h.base);
    gone.socket.close();
    await gone.closed;
    await new Promise((r) => setTimeout(r, 50)); // the relay sees the close
    expect((await put(h, gone.id, 'AAAA')).status).toBe(404);
  });

  it('open mailboxes are bounded globally and per address (503 + Retry-After at the upgrade)', async () => {
    const global = await relay({ maxMailboxes: 2 });
    const a = await openMailbox(global.base);
    await openMailbox(global.base);
    await expect(openMailbox(global.base)).rejects.toMatchObject({ status: 503, retryAfter: '30' });
    a.socket.close();
    await a.closed;
    await new Promise((r) => setTimeout(r, 50));
    await expect(openMailbox(global.base)).resolves.toMatchObject({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });

    const perAddress = await relay({ maxMailboxes: 100, maxMailboxesPerAddress: 3 });
    for (let i = 0; i < 3; i++) await openMailbox(perAddress.base);
    await expect(openMailbox(perAddress.base)).rejects.toMatchObject({ status: 503 });
  });

  it('counts IPv4 addresses singly and IPv6 addresses by /64', () => {
    expect(addressGroup('127.0.0.1')).toBe('127.0.0.1');
    expect(addressGroup('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressGroup('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
  });
});
