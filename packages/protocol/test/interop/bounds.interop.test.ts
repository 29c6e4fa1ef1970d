/**
 * libsignal's bounds, checked differentially: the same traffic is sent to a
 * libsignal-client 0.90.0 receiver and to ours, and both must accept and
 * refuse exactly the same messages.
 *
 *  - MAX_MESSAGE_KEYS = 2000 skipped keys per chain (oldest dropped first);
 *  - MAX_FORWARD_JUMPS = 25000 (a counter further ahead of the chain is
 *    refused; exactly 25000 ahead is accepted).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, LibSignalErrorBase } from '@signalapp/libsignal-client';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, TooFarInFutureError } from '../../src/index.ts';
import { nextChainKey } from '../../src/hazmat.ts';
import { LibsignalEndpoint } from '@sealpost/devkit/libsignal';
import { OursEndpoint } from '@sealpost/devkit/ours';
import { SeededRandom } from '@sealpost/devkit/prng';
import { exchange, type SessionEndpoint } from '../support/session-scenarios.ts';
import type { WireMessage } from '@sealpost/devkit/libsignal';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A sender with an established, acknowledged session to `receiver`. */
async function established(sender: SessionEndpoint, receiver: SessionEndpoint): Promise<void> {
  await sender.startSession(receiver.id, await receiver.bundle({ withOneTimePreKey: true }));
  await exchange(sender, receiver, 'setup');
}

describe('interop: libsignal bounds, ours and libsignal-client 0.90.0 side by side', () => {
  it('interop: skipped-key bound — after a 2,300-message jump both receivers keep exactly the same 2,000 keys', async () => {
    const N = MAX_MESSAGE_KEYS + 300;
    const firstKept = N - 1 - MAX_MESSAGE_KEYS; // the oldest skipped key libsignal keeps
    // Which old messages we try after the jump (each try costs a record
    // load/save, so not all 2,299): both ends and the edge of the window
    // exhaustively, plus a seeded sample of the middle, in a seeded order.
    const rng = new SeededRandom(4711);
    const probe = new Set<number>();
    for (let i = 0; i < 30; i++) probe.add(i);
    for (let i = firstKept - 40; i < firstKept + 40; i++) probe.add(i);
    for (let i = N - 31; i < N - 1; i++) probe.add(i);
    while (probe.size < 220) probe.add(rng.int(N - 1));
    const order = [...probe];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }

    const outcomes: Record<string, { decrypted: number[]; duplicates: number[] }> = {};
    for (const receiver of [new LibsignalEndpoint({ name: 'rx-ls' }), new OursEndpoint({ name: 'rx-ours' })]) {
      const sender = new LibsignalEndpoint({ name: `tx-for-${receiver.implementation}` });
      await established(sender, receiver);
      const messages: WireMessage[] = [];
      for (let i = 0; i < N; i++) messages.push(await sender.encrypt(receiver.id, text(`m${i}`)));
      // The newest first: a jump of N-1 messages.
      expect(await receiver.decrypt(sender.id, messages[N - 1]!)).toEqual(text(`m${N - 1}`));
      const decrypted: number[] = [];
      const duplicates: number[] = [];
      for (const i of order) {
        const r = await receiver.decrypt(sender.id, messages[i]!).then(
          (p) => p,
          (e: unknown) => e,
        );
        if (r instanceof Uint8Array) {
          expect(r).toEqual(text(`m${i}`));
          decrypted.push(i);
        } else if (receiver.isDuplicateError(r)) {
          duplicates.push(i);
        } else {
          throw r;
        }
      }
      outcomes[receiver.implementation] = { decrypted: decrypted.sort((x, y) => x - y), duplicates: duplicates.sort((x, y) => x - y) };
    }
    const ls = outcomes['libsignal']!;
    const ours = outcomes['ours']!;
    // libsignal keeps the newest 2,000 skipped keys: everything older is gone.
    expect(ls.duplicates).toEqual([...probe].filter((i) => i < firstKept).sort((x, y) => x - y));
    expect(ls.decrypted).toEqual([...probe].filter((i) => i >= firstKept).sort((x, y) => x - y));
    expect(ours).toEqual(ls);
    console.log(
      `interop: skipped-key bound: libsignal->libsignal ${ls.decrypted.length + 1} decrypted / ${ls.duplicates.length} refused, ` +
        `libsignal->ours ${ours.decrypted.length + 1} decrypted / ${ours.duplicates.length} refused`,
    );
  });

  it('interop: forward-jump bound — 25,000 ahead is accepted and 25,001 refused by both receivers', async () => {
    const results: string[] = [];
    for (const receiver of [new LibsignalEndpoint({ name: 'rx-ls' }), new OursEndpoint({ name: 'rx-ours' })]) {
      const sender = new OursEndpoint({ name: `tx-for-${receiver.implementation}` });
      await established(sender, receiver);
      // Sender moves to a fresh chain (answering the receiver's last message)
      // and we then jump its chain key ahead without sending the gap.
      const jumpTo = (counter: number): void =>
        sender.editSession(receiver.id, (record) => {
          const chain = record.current!.senderChain!;
          let key = chain.chainKey.key;
          for (let i = chain.chainKey.index; i < counter; i++) key = nextChainKey(key);
          return { ...record, current: { ...record.current!, senderChain: { ...chain, chainKey: { key, index: counter } } } };
        });
      const snapshot = sender.sessions.get(`${receiver.id.name}.1`)!;

      jumpTo(MAX_FORWARD_JUMPS + 1);
      const tooFar = await sender.encrypt(receiver.id, text('too far'));
      const err = await receiver.decrypt(sender.id, tooFar).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (receiver.implementation === 'ours') {
        expect(err).toBeInstanceOf(TooFarInFutureError);
      } else {
        expect(err).toBeInstanceOf(LibSignalErrorBase);
        expect((err as LibSignalErrorBase).code).toBe(ErrorCode.Generic);
        // libsignal logs "message from too far into the future" and, having
        // no other state that decrypts, reports its generic failure.
        expect((err as Error).message).toBe('invalid Whisper message: decryption failed');
      }
      results.push(`${receiver.implementation} refused ${MAX_FORWARD_JUMPS + 1} ahead`);

      sender.sessions.set(`${receiver.id.name}.1`, snapshot);
      jumpTo(MAX_FORWARD_JUMPS);
      const farButOk = await sender.encrypt(receiver.id, text('far but fine'));
      expect(await receiver.decrypt(sender.id, farButOk)).toEqual(text('far but fine'));
      results.push(`${receiver.implementation} accepted ${MAX_FORWARD_JUMPS} ahead`);
      // The session still works both ways afterwards.
      await exchange(sender, receiver, 'after the jump');
    }
    console.log(`interop: forward-jump bound: ${results.join(', ')}; ours->libsignal 3 messages, libsignal->ours 2 messages`);
  });
});
