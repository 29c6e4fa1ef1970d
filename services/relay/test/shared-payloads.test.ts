/**
 * Issue 13, in the store (SQLite and PostgreSQL): a payload shared by many
 * envelopes of one send — a sealed sender v2 message's E.pub ‖ ciphertext —
 * is stored once, each device's envelope as a small view of it; every
 * device is served exactly view ‖ shared; the shared row goes with the last
 * view (acknowledged or expired); a send refused by one full queue stores
 * nothing; limits and poll windows count the bytes a device receives.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueFullError, type NewEnvelope, type SharedPayload } from '../src/store/index.ts';
import { STORE_BACKENDS, type OpenedStore } from './support/store-backends.ts';

const HEADER = 49;

/** One send to `accounts` accounts with `devices` devices each: a 49-byte header per account, one shared payload. */
function fanOut(accounts: number, devices: number, sharedBytes = 700) {
  const shared: SharedPayload = { bytes: new Uint8Array(randomBytes(sharedBytes)) };
  const envelopes: NewEnvelope[] = [];
  const expected = new Map<string, Uint8Array>();
  for (let a = 0; a < accounts; a++) {
    const header = new Uint8Array(randomBytes(HEADER));
    header[0] = 0x22;
    const accountId = `acct-${a}`;
    expected.set(accountId, Buffer.concat([header, shared.bytes]));
    for (let d = 1; d <= devices; d++) envelopes.push({ accountId, deviceId: d, content: header, shared });
  }
  return { shared, envelopes, expected };
}

for (const backend of STORE_BACKENDS) {
  describe.runIf(backend.available)(`${backend.name}: shared payloads (issue 13)`, () => {
    let opened: OpenedStore;
    beforeEach(async () => {
      opened = await backend.open();
    });
    afterEach(async () => {
      await opened.close();
    });

    it('stores the shared payload once and serves every device exactly view ‖ shared', async () => {
      const { store } = opened;
      const { shared, envelopes, expected } = fanOut(30, 2);
      // A plain envelope in the same send is stored whole, as before.
      const plain = { accountId: 'acct-0', deviceId: 1, content: Uint8Array.of(0x11, 1, 2, 3) };
      const rows = await store.enqueue([...envelopes, plain], 1000, 60_000, 100);
      expect(rows.slice(0, -1).map((r) => Buffer.from(r.content))).toEqual(envelopes.map((e) => Buffer.from(expected.get(e.accountId)!)));
      expect(rows.at(-1)!.content).toEqual(plain.content);
      expect(await opened.stats()).toEqual({ envelopes: 61, sharedPayloads: 1, envelopeBytes: 60 * HEADER + 4, sharedBytes: shared.bytes.length });
      for (const [accountId, bytes] of expected) {
        for (const d of [1, 2]) {
          const got = await store.pending(accountId, d, 1000, 10);
          expect(got.filter((g) => g.content[0] === 0x22).map((g) => Buffer.from(g.content))).toEqual([Buffer.from(bytes)]);
        }
      }
    });

    it('deletes the shared row with its last view (acknowledgements), not before', async () => {
      const { store } = opened;
      const { envelopes } = fanOut(3, 2);
      const rows = await store.enqueue(envelopes, 1000, 60_000, 100);
      for (const r of rows.slice(0, -1)) expect(await store.acknowledge(r.accountId, r.deviceId, r.id)).toBe(true);
      expect(await opened.stats()).toMatchObject({ envelopes: 1, sharedPayloads: 1 });
      const last = rows.at(-1)!;
      expect((await store.pending(last.accountId, last.deviceId, 1000, 10)).map((p) => p.content)).toEqual([last.content]);
      expect(await store.acknowledgeMany(last.accountId, last.deviceId, [last.id])).toBe(1);
      expect(await opened.stats()).toEqual({ envelopes: 0, sharedPayloads: 0, envelopeBytes: 0, sharedBytes: 0 });
    });

    it('two sends with their own shared payloads: acknowledging one send leaves the other whole', async () => {
      const { store } = opened;
      const first = fanOut(2, 1);
      const second = fanOut(2, 1);
      const rows = await store.enqueue([...first.envelopes, ...second.envelopes], 1000, 60_000, 100);
      expect(await opened.stats()).toMatchObject({ envelopes: 4, sharedPayloads: 2 });
      await store.acknowledge('acct-0', 1, rows[0]!.id);
      await store.acknowledge('acct-1', 1, rows[1]!.id);
      expect(await opened.stats()).toMatchObject({ envelopes: 2, sharedPayloads: 1, sharedBytes: second.shared.bytes.length });
      expect((await store.pending('acct-0', 1, 1000, 10)).map((p) => Buffer.from(p.content))).toEqual([Buffer.from(second.expected.get('acct-0')!)]);
    });

    it('expiry removes views and shared payloads together', async () => {
      const { store } = opened;
      await store.enqueue(fanOut(5, 2).envelopes, 1000, 60_000, 100);
      expect(await store.pending('acct-1', 1, 61_000, 10)).toEqual([]);
      expect(await store.deleteExpired(61_000)).toBe(10);
      expect(await opened.stats()).toEqual({ envelopes: 0, sharedPayloads: 0, envelopeBytes: 0, sharedBytes: 0 });
    });

    it('one full device queue refuses the whole send: no view and no shared row is stored', async () => {
      const { store } = opened;
      await store.enqueue([{ accountId: 'acct-7', deviceId: 2, content: Uint8Array.of(0x11, 0) }], 1000, 60_000, 1);
      const refused = await store.enqueue(fanOut(10, 2).envelopes, 1000, 60_000, 1).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(QueueFullError);
      expect(refused).toMatchObject({ accountId: 'acct-7', deviceId: 2 });
      expect(await opened.stats()).toEqual({ envelopes: 1, sharedPayloads: 0, envelopeBytes: 2, sharedBytes: 0 });
    });

    it('byte limits and poll windows count what the device receives (view + shared)', async () => {
      const { store } = opened;
      const size = HEADER + 700;
      const one = () => fanOut(1, 1).envelopes;
      await store.enqueue(one(), 1000, 60_000, 100, 2 * size);
      await store.enqueue(one(), 1000, 60_000, 100, 2 * size);
      await expect(store.enqueue(one(), 1000, 60_000, 100, 2 * size)).rejects.toMatchObject({ limit: 'bytes' });
      expect(await store.pending('acct-0', 1, 1000, 10, 0, size)).toHaveLength(1);
      expect(await store.pending('acct-0', 1, 1000, 10, 0, 2 * size)).toHaveLength(2);
    });
  });
}
