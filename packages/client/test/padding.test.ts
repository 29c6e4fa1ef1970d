/**
 * Issue 11 item 15: every plaintext is padded to Signal's 160-byte buckets
 * before the session encrypts it and stripped on receipt, so the envelopes
 * the relay stores show buckets, not message lengths.
 */
import { describe, expect, it } from 'vitest';
import type { ClientProblem } from '../src/client-types.ts';
import { ClientError } from '../src/errors.ts';
import { padPlaintext, paddedLength, unpadPlaintext } from '../src/padding.ts';
import { sessionOps, type SessionOps } from '../src/session-ops.ts';
import { useLocalServices } from './support/local-services.ts';

describe('padding rule', () => {
  it("pads as Signal-Desktop does: 0x80, then zeros to ceil((len + 2) / 160) * 160 - 1 bytes", () => {
    expect([0, 1, 157, 158, 159, 318, 319, 1000].map(paddedLength)).toEqual([159, 159, 159, 159, 319, 319, 479, 1119]);
    const padded = padPlaintext(Uint8Array.of(1, 2, 3));
    expect(padded.length).toBe(159);
    expect([...padded.subarray(0, 4)]).toEqual([1, 2, 3, 0x80]);
    expect(padded.subarray(4).every((b) => b === 0)).toBe(true);
    for (const n of [0, 1, 100, 157, 158, 159, 160, 500]) {
      const m = Uint8Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff);
      expect(unpadPlaintext(padPlaintext(m))).toEqual(m);
    }
    // A message that itself ends in zeros or 0x80 survives.
    expect(unpadPlaintext(padPlaintext(Uint8Array.of(0x80, 0, 0)))).toEqual(Uint8Array.of(0x80, 0, 0));
  });

  it('refuses bad padding with INVALID_PADDING', () => {
    for (const bad of [new Uint8Array(0), new Uint8Array(159), Uint8Array.of(1, 2, 3), Uint8Array.of(1, 0x81, 0, 0)]) {
      let error: unknown;
      try {
        unpadPlaintext(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientError).code).toBe('INVALID_PADDING');
    }
  });
});

describe('padding over the real services', () => {
  const local = useLocalServices();

  it('the relay stores 2–3 distinct envelope sizes for messages of lengths 1..320', async () => {
    const alice = local.client();
    const bob = local.client();
    await Promise.all([alice.register(), bob.register()]);
    await alice.addContact(bob.contactCard());
    // Every 4th length from 1 to 320 (81 messages; all PreKey messages on one unanswered session, counters < 128).
    const lengths = [...Array.from({ length: 80 }, (_, i) => 1 + 4 * i), 320];
    for (const n of lengths) await alice.send(bob.address.account, { text: 'x'.repeat(n), timestamp: 1_700_000_000_000 + n });
    const stored: number[] = [];
    for (;;) {
      const { envelopes, more } = await bob.relay.fetch(100);
      stored.push(...envelopes.map((e) => e.content.length));
      if (!more || envelopes.length === 0) break;
      if (stored.length >= lengths.length) break;
    }
    expect(stored).toHaveLength(lengths.length);
    const sizes = new Set(stored);
    expect(sizes.size).toBeGreaterThanOrEqual(2);
    expect(sizes.size).toBeLessThanOrEqual(3);
    // And the receiver gets every text back, unpadded.
    expect(await bob.poll()).toBe(lengths.length);
    expect((await bob.history(alice.address.account)).map((m) => m.decoded.text?.length)).toEqual(lengths);
  });

  it('an unpadded message (as a libsignal peer that does not pad sends it) is refused with INVALID_PADDING, kept, and not offered', async () => {
    // Bob's client is genuine except that it strips its padding before encrypting: the bytes libsignal would encrypt.
    const unpadded: SessionOps = { ...sessionOps, encrypt: (record, plaintext, ...rest) => sessionOps.encrypt(record, unpadPlaintext(plaintext), ...rest) };
    const alice = local.client();
    const bob = local.client({ sessions: unpadded });
    await Promise.all([alice.register(), bob.register()]);
    await bob.addContact(alice.contactCard());
    const problems: ClientProblem[] = [];
    alice.on('error', (p) => problems.push(p));
    await bob.send(alice.address.account, { text: 'legacy' });
    expect(await alice.poll()).toBe(1);
    expect(problems.map((p) => (p.error as ClientError).code)).toEqual(['INVALID_PADDING']);
    expect(await alice.store.history.count()).toBe(0);
    // The step was rolled back: no session was kept from the refused message.
    expect(await alice.store.sessions.load(bob.address)).toBeUndefined();
    // Kept, not lost: quarantined with the reason; no decryption-error message (the session was fine).
    expect((await alice.quarantined()).map((q) => q.reason)).toEqual(['INVALID_PADDING']);
    expect(problems[0]!.quarantined).toBe(true);
    expect((await bob.relay.fetch()).envelopes).toHaveLength(0);
  });
});
