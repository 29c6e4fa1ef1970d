/**
 * Sessions between OUR protocol core and libsignal-client 0.90.0 (the real,
 * independently written peer), in both directions:
 *
 *   ours initiator  <-> libsignal responder
 *   libsignal initiator <-> ours responder
 *
 * For each: a session from a bundle with and without a one-time prekey and
 * 1,000 messages each way, interleaved, with seeded reordering (within and
 * across chains), drops and duplicates; a peer that resets and
 * re-establishes (each side in turn); both sides initiating at once.
 * Every test prints how many messages crossed in each direction.
 */
import { describe, expect, it } from 'vitest';
import { LibsignalEndpoint } from '@sealpost/devkit/libsignal';
import { OursEndpoint } from '@sealpost/devkit/ours';
import {
  runConversation,
  runResetScenario,
  runSimultaneousBursts,
  runSimultaneousInitiation,
  type SessionEndpoint,
} from '../support/session-scenarios.ts';

const MESSAGES_EACH = 1000;

type Pairing = { label: string; make: () => { a: SessionEndpoint; b: SessionEndpoint } };

/** `a` is the initiator in every pairing. */
const pairings: Pairing[] = [
  {
    label: 'ours initiator -> libsignal responder',
    make: () => ({
      a: new OursEndpoint({ name: 'ours-alice', registrationId: 101 }),
      b: new LibsignalEndpoint({ name: 'libsignal-bob', registrationId: 202 }),
    }),
  },
  {
    label: 'libsignal initiator -> ours responder',
    make: () => ({
      a: new LibsignalEndpoint({ name: 'libsignal-alice', registrationId: 303 }),
      b: new OursEndpoint({ name: 'ours-bob', registrationId: 404 }),
    }),
  },
];

function report(test: string, a: SessionEndpoint, b: SessionEndpoint, aToB: number, bToA: number, extra = ''): void {
  console.log(
    `interop: ${test}: ${a.implementation}->${b.implementation} ${aToB} messages, ` +
      `${b.implementation}->${a.implementation} ${bToA} messages${extra}`,
  );
}

describe('interop: sessions with libsignal-client 0.90.0', () => {
  pairings.forEach((pairing, p) => {
    describe(`interop: ${pairing.label}`, () => {
      for (const withOneTimePreKey of [true, false]) {
        const what = withOneTimePreKey ? 'with' : 'without';
        it(`interop: ${pairing.label}, bundle ${what} one-time prekey, ${MESSAGES_EACH} messages each way reordered/dropped/duplicated`, async () => {
          const { a, b } = pairing.make();
          const bundle = await b.bundle({ withOneTimePreKey });
          expect(bundle.preKeyId === null).toBe(!withOneTimePreKey);
          await a.startSession(b.id, bundle);
          const seed = 0x5ea1 + p * 10 + (withOneTimePreKey ? 1 : 2);
          const t = await runConversation(a, b, { seed, messagesEach: MESSAGES_EACH });
          report(
            `${pairing.label}, ${what} one-time prekey`,
            a,
            b,
            t.aToB,
            t.bToA,
            ` (${t.dropped} dropped, ${t.duplicatesRejected} duplicates rejected, ` +
              `${t.reordered} reordered, ${t.reorderedAcrossChains} across chains)`,
          );
          // Every message not dropped was decrypted exactly once.
          expect(t.aToB + t.bToA + t.dropped).toBe(2 * MESSAGES_EACH);
          expect(t.aToB).toBeGreaterThan(0.9 * MESSAGES_EACH);
          expect(t.bToA).toBeGreaterThan(0.9 * MESSAGES_EACH);
          // The schedule really did exercise what it claims to.
          expect(t.dropped).toBeGreaterThan(0);
          expect(t.duplicatesRejected).toBeGreaterThan(0);
          expect(t.reorderedAcrossChains).toBeGreaterThan(0);
        });
      }

      for (const resetter of ['a', 'b'] as const) {
        it(`interop: ${pairing.label}, the ${resetter === 'a' ? 'initiator' : 'responder'} resets and re-establishes`, async () => {
          const { a, b } = pairing.make();
          const c = await runResetScenario(a, b, {
            resetter,
            withOneTimePreKey: resetter === 'a',
            seed: 77 + p,
            messagesEach: 100,
          });
          const who = resetter === 'a' ? a : b;
          report(`${pairing.label}, ${who.implementation} resets`, a, b, c.aToB, c.bToA);
          expect(c.aToB).toBeGreaterThan(90);
          expect(c.bToA).toBeGreaterThan(90);
        });
      }

      for (const withOneTimePreKey of [true, false]) {
        it(`interop: ${pairing.label}, both sides initiate at the same time (${withOneTimePreKey ? 'with' : 'without'} one-time prekeys)`, async () => {
          const { a, b } = pairing.make();
          const c = await runSimultaneousInitiation(a, b, { withOneTimePreKey, seed: 99 + p, messagesEach: 100 });
          report(`${pairing.label}, simultaneous initiation`, a, b, c.aToB, c.bToA);
          expect(c.aToB).toBeGreaterThan(90);
          expect(c.bToA).toBeGreaterThan(90);
        });
      }

      it(`interop: ${pairing.label}, both sides initiate at once with bursts of PreKey messages delivered in random order`, async () => {
        const { a, b } = pairing.make();
        const c = await runSimultaneousBursts(a, b, { seed: 2024 + p, rounds: 40, withOneTimePreKey: true });
        report(`${pairing.label}, simultaneous bursts`, a, b, c.aToB, c.bToA, ` (PreKey messages: ${c.preKeyMessages.a} from ${a.implementation}, ${c.preKeyMessages.b} from ${b.implementation})`);
        // Both competing sessions produced PreKey messages before settling.
        expect(c.preKeyMessages.a).toBeGreaterThan(0);
        expect(c.preKeyMessages.b).toBeGreaterThan(0);
        expect(c.aToB).toBeGreaterThan(40);
        expect(c.bToA).toBeGreaterThan(40);
      });
    });
  });
});
