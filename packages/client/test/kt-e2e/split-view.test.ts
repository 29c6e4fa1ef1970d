/**
 * Key transparency end to end: a split view. The insider copies the key
 * server's database, runs a second log over the copy and appends a fork
 * entry holding a fake key for Bob; its front shows Alice that log (and
 * the fake bundle) while everyone else, the witnesses included, follows the
 * real one. The witnesses refuse the fork — 409 for the same size with
 * another root, 422 for a proof that does not connect — and keep the signed
 * conflicting checkpoint (`GET /evidence`). Alice refuses the unwitnessed
 * key (`unwitnessed`, nothing encrypted) and then raises `fork` with
 * evidence: on the next honest witnessed head, or once max_witness_lag has
 * passed. Also with one colluding witness of three cosigning the fork.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KtError } from '@sealpost/client';
import { checkEvidence, ktPinned, parseCheckpoint, parseNote, type KtEvidenceJson } from '@sealpost/keytrans';
import { collectKt, startKtServices, type KtServices } from '@sealpost/devkit/kt-services';
import { startKtInsider, type KtInsider } from '@sealpost/devkit/kt-insider';

const sizeOf = (note: string) => parseCheckpoint(parseNote(note).text).size;
const MAX_WITNESS_LAG_MS = 10 * 60_000;

describe('key transparency e2e: split view (the server keeps two logs)', () => {
  let kt: KtServices | undefined;
  let insider: KtInsider | undefined;
  afterEach(async () => {
    await insider?.close();
    await kt?.close();
    kt = insider = undefined;
  });

  for (const colluding of [false, true]) {
    for (const detection of ['next honest head', 'max_witness_lag'] as const) {
      it(`witnesses refuse the fork with evidence; Alice raises unwitnessed, then fork on the ${detection}${colluding ? ' — one of three witnesses colludes' : ''}`, async () => {
        kt = await startKtServices();
        insider = await startKtInsider(kt);
        const alice = kt.client('enforce', { keyServerUrl: insider.url, kt: { maxWitnessLagMs: MAX_WITNESS_LAG_MS } });
        const bob = kt.client('enforce');
        await alice.register();
        await bob.register();
        await kt.settle();
        await alice.keyTransparency.monitorNow(); // Alice holds the honest witnessed head
        await alice.addContact(bob.contactCard());
        const events = collectKt(alice);

        // The fork: a copy of the log at size S, plus an entry with a fake key for Bob (fork size S + 1) …
        const view = await insider.splitView();
        const S = view.forkedAt;
        expect(S).toBe(kt.log.size);
        const fake = insider.swapBundle(bob.address.account);
        expect(await view.logIdentity(bob.address.account, fake.publicKey)).toMatchObject({ sequenced: true, position: S });
        // … while the real log moves on to its own size S + 1, which the witnesses cosign.
        await kt.advance(kt.settings.heartbeatMs!);
        expect(kt.log.witnessed).toBe(S + 1);
        const honestNote = kt.log.checkpointNote(S + 1)!;
        const forkNote = view.checkpoint();
        expect(sizeOf(forkNote)).toBe(S + 1);
        expect(forkNote).not.toBe(parseNote(honestNote).text);
        if (colluding) view.collude(0);
        insider.show(view);

        // Alice is shown the fork: the fake key is in a log-signed checkpoint the witness quorum never cosigned.
        const refusal = await alice.send(bob.address.account, { text: 'for bob' }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(refusal).toBeInstanceOf(KtError);
        expect((refusal as KtError).code).toBe('KT_UNWITNESSED');
        expect(events.map((e) => e.kind)).toEqual(['unwitnessed']);
        expect(events[0]).toMatchObject({ source: 'bundle', account: bob.address.account, refused: true });
        expect(await alice.store.sessions.devices(bob.address.account)).toEqual([]);
        expect((await bob.relay.fetch()).envelopes).toEqual([]);
        expect((await alice.keyTransparency.status()).pendingCheckpoints).toBe(1);

        // Every witness refuses the fork (the colluder's own witness too: only its key colludes) and keeps it as evidence.
        for (let i = 0; i < 3; i++) {
          const answers = await view.submit(kt.witnesses.urls[i]!);
          // From the fork point: 409, the witness holds S + 1; from S + 1: same size, another root, 409 again.
          expect(answers).toEqual([
            { status: 409, body: `${S + 1}\n` },
            { status: 409, body: `${S + 1}\n` },
          ]);
          const evidence = await kt.witnesses.evidence(i);
          expect(evidence).toEqual([expect.objectContaining({ kind: 'split-view', origin: kt.settings.origin, refusedNote: forkNote, oldSize: S + 1 })]);
          expect(parseNote(evidence[0]!.cosignedNote).text).toBe(parseNote(honestNote).text);
        }
        // The fork grows by one entry: its proof from the witnessed S + 1 cannot connect — 422, evidence `inconsistent`.
        await view.heartbeat();
        expect(sizeOf(view.checkpoint())).toBe(S + 2);
        for (let i = 0; i < 3; i++) {
          const answers = await view.submit(kt.witnesses.urls[i]!);
          expect(answers.at(-1)!.status).toBe(422);
          const evidence = await kt.witnesses.evidence(i);
          expect(evidence.map((e) => e.kind)).toEqual(['split-view', 'inconsistent']);
          expect(evidence[1]).toMatchObject({ refusedNote: view.checkpoint(), oldSize: S + 1 });
          expect(evidence[1]!.proof.length).toBeGreaterThan(0);
        }
        expect(kt.log.witnessed).toBe(S + 1); // the real log's witnessed head is untouched

        let fork;
        if (detection === 'next honest head') {
          // The front stops lying; Alice's next search (her owner monitor) gets the real witnessed S + 1.
          insider.show(undefined);
          insider.restoreBundle(bob.address.account);
          fork = (await alice.keyTransparency.monitorNow()).find((e) => e.kind === 'fork');
        } else {
          // The front keeps showing the fork; once max_witness_lag passes, the unwitnessed head Alice kept is a fork.
          await kt.advance(MAX_WITNESS_LAG_MS + 60_000);
          fork = (await alice.keyTransparency.monitorNow()).find((e) => e.kind === 'fork');
        }
        expect(fork).toBeDefined();
        expect(events.filter((e) => e.kind === 'fork')).toHaveLength(1);
        expect(events.findIndex((e) => e.kind === 'fork')).toBeGreaterThan(events.findIndex((e) => e.kind === 'unwitnessed'));
        const evidence = fork!.evidence!.data as KtEvidenceJson;
        expect(evidence.kind).toBe(detection === 'next honest head' ? 'fork' : 'pendingExpired');
        // The fork checkpoint Alice was shown is in the evidence (with the colluder's cosignature when it colluded) …
        expect(parseNote(evidence.checkpoints[0]!).text).toBe(parseNote(forkNote).text);
        expect(evidence.checkpoints[0]!.includes(`— ${kt.witnesses.names[0]} `)).toBe(colluding);
        if (detection === 'next honest head') expect(evidence.checkpoints[1]).toBe(honestNote);
        // … and it holds for anyone with the pinned configuration.
        expect(() => checkEvidence(evidence, ktPinned(kt!.pinned))).not.toThrow();
        expect((await alice.keyTransparency.evidence()).map((r) => r.kind)).toContain('fork');
        // After max_witness_lag the expired head is dropped (it alarms once); the fork's newer S + 2 head is the one still pending.
        if (detection === 'max_witness_lag') expect((await alice.keyTransparency.status()).pendingCheckpoints).toBe(1);
      });
    }
  }
});
