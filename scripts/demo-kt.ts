/**
 * Key transparency in the demo (scripts/demo.ts) and the web chat
 * (scripts/web.ts): the KT deployment of `@sealpost/devkit/kt-services`
 * (the real key server with its log, three real witnesses, 2-of-3) on the
 * wall clock, the insider's front (`@sealpost/devkit/kt-insider`) Alice's
 * client talks to, and the demo's insider scene: the key server swaps
 * Bob's key for Alice (refused, with evidence; nothing encrypted to it),
 * then logs the swap as a new version (Bob's owner monitoring raises the
 * alarm).
 */
import { KtError, type KtEvent, type SealpostClient } from '@sealpost/client';
import { checkEvidence, decodeIdentityValue, ktPinned, parseNote, type KtEvidenceJson } from '@sealpost/keytrans';
import { fromBase64, sha256, toHex } from '@sealpost/protocol/primitives';
import { FakeClock, startKtServices, waitFor, type KtServices, type KtServicesOptions } from '@sealpost/devkit/kt-services';
import type { KtInsider } from '@sealpost/devkit/kt-insider';
import type { DemoStepContext } from './demo-step.ts';

/** A clock that is the wall clock (the demo and the chat run in real time; `advance` is not for them). */
export function wallClock(): FakeClock {
  return {
    get ms() {
      return Date.now();
    },
    now: () => Date.now(),
    seconds: () => Math.floor(Date.now() / 1000),
    advance() {
      throw new Error('the wall clock does not advance on request');
    },
  };
}

/** The KT deployment on the wall clock: 3 witnesses, 2 of 3, heartbeat every minute. */
export function startWallClockKt(services: KtServicesOptions['services'] = {}): Promise<KtServices> {
  return startKtServices({ clock: wallClock(), batchMs: 50, services });
}

/** A short fingerprint of an identity key (first 8 bytes of its SHA-256, grouped). */
export function fingerprint(key: Uint8Array): string {
  return toHex(sha256(key)).slice(0, 16).replace(/(.{4})(?=.)/g, '$1 ');
}

/** Size and cosigners of a signed checkpoint note. */
export function checkpointSummary(note: string, kt: KtServices): { size: number; cosigners: string[]; text: string } {
  const parsed = parseNote(note);
  const size = Number(parsed.text.split('\n')[1]);
  const cosigners = parsed.signatures.map((s) => s.name).filter((n) => kt.witnesses.names.includes(n));
  const n = kt.witnesses.names.length;
  const text = `checkpoint size ${size}, cosigned by ${cosigners.length} of ${n} witnesses (policy: ${kt.settings.witnessQuorum} of ${n})`;
  return { size, cosigners, text };
}

/** "verified (witnessed c/n)" for the client's newest verified checkpoint. */
export async function verifiedLine(client: SealpostClient, kt: KtServices): Promise<string> {
  const note = (await client.keyTransparency.state())?.retained?.note;
  const n = kt.witnesses.names.length;
  const c = note === undefined ? 0 : checkpointSummary(note, kt).cosigners.length;
  return `key transparency: verified (witnessed ${c}/${n}, quorum ${kt.settings.witnessQuorum})`;
}

export interface KtSceneContext extends DemoStepContext {
  kt: KtServices;
  insider: KtInsider;
  /** Alice's `kt` events since she registered. */
  aliceKt: KtEvent[];
  /** Envelopes the relay stored for `account` so far. */
  relayRowsFor: (account: string) => number;
}

/** The insider scene of key transparency: an unlogged swap (refused), then a logged one (Bob's alarm). */
export async function keyTransparencyStep(ctx: KtSceneContext): Promise<void> {
  const { alice, bobPhone, kt, insider, names, step, style } = ctx;
  const B = bobPhone.address.account;
  const bobKey = (await bobPhone.store.identities.localAccount())!.identityPublicKey;
  step("An insider who runs the key server swaps Bob's key for Alice (the log stays honest: an unlogged swap)");
  const sessionsBefore = await alice.store.sessions.devices(B);
  const listed = (await alice.keyServer.devices(B)).map((d) => d.deviceId);
  const fresh = listed.filter((d) => !sessionsBefore.includes(d));
  console.log(`  Alice has sessions with Bob#${sessionsBefore.join(', #')}; Bob's device list now also has #${fresh.join(', #')} (his new laptop): her next send fetches its keys`);
  const fake = insider.swapBundle(B);
  console.log(`  the key server answers with an attacker key ${fingerprint(fake.publicKey)} (a complete, correctly signed bundle); Bob's real key is ${fingerprint(bobKey)}`);
  const rowsBefore = ctx.relayRowsFor(B);
  const seenBefore = ctx.aliceKt.length;
  const error = await alice.send(B, { text: 'Shall I send you the door code?' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const mismatch = ctx.aliceKt.slice(seenBefore).find((e) => e.kind === 'mismatch');
  if (!(error instanceof KtError) || mismatch === undefined) throw new Error(`expected a refused key-transparency mismatch, got ${String(error)}`);
  console.log(`  Alice's client: kt event "${mismatch.kind}"${mismatch.refused === true ? ' (refused)' : ''} → send failed with ${error.code}`);
  const data = mismatch.evidence!.data as { shown: string; logged: string; version: number; checkpoint: string };
  const shown = decodeIdentityValue(fromBase64(data.shown));
  const logged = decodeIdentityValue(fromBase64(data.logged));
  console.log(`    evidence: ${checkpointSummary(data.checkpoint, kt).text}`);
  console.log(`    evidence: the log's version ${data.version} of Bob's label holds ${fingerprint(logged)}; the bundle showed ${fingerprint(shown)}`);
  const rows = ctx.relayRowsFor(B) - rowsBefore;
  const sessionsAfter = await alice.store.sessions.devices(B);
  const trusted = await alice.trustedIdentity(B);
  console.log(`  ${style.green('✓')} relay received ${rows} envelopes for the fake session; Alice's sessions with Bob: #${sessionsAfter.join(', #')} (unchanged), outbox ${(await alice.store.outbox.batches()).length}, trusted key for Bob still ${fingerprint(trusted!)}`);
  console.log(`  Alice's stored evidence: ${(await alice.keyTransparency.evidence()).map((r) => `${r.kind} (${names.get(r.account ?? '') ?? r.account})`).join(', ')} — exportable, signed by the log`);

  step('The insider logs the attacker key as a new version of Bob\'s label instead (everyone, witnesses included, sees it)');
  const settled = await insider.logIdentity(B, fake.publicKey);
  console.log(`  version 1 of Bob's label: ${fingerprint(fake.publicKey)} — sequenced: ${settled.sequenced}, witnessed: ${settled.witnessed}`);
  const owner = (await bobPhone.keyTransparency.monitorNow()).filter((e) => e.source === 'owner');
  const alarm = owner.find((e) => e.kind === 'ownerAlarm');
  if (alarm === undefined) throw new Error(`expected Bob's owner alarm, got ${owner.map((e) => e.kind).join(', ')}`);
  const evidence = alarm.evidence!.data as KtEvidenceJson;
  console.log(`  Bob's phone (owner monitoring): kt event "${alarm.kind}" — ${alarm.detail}`);
  console.log(`    evidence: ${checkpointSummary(evidence.checkpoints.at(-1)!, kt).text}; this device created version ${evidence.expected?.version} (${fingerprint(decodeIdentityValue(fromBase64(evidence.expected!.value)))})`);
  checkEvidence(evidence, ktPinned({ ...kt.pinned }));
  console.log(`  ${style.green('✓')} anyone holding the pinned log key and witness policy can check Bob's evidence (checkEvidence passed)`);
  // Back to the honest key server for the scene that follows.
  insider.restoreBundle(B);
}

/** A mismatch event's evidence in fingerprints: the key shown against the key the log holds. */
export function describeMismatch(e: KtEvent): string {
  const data = e.evidence?.data as { shown?: string; logged?: string; version?: number } | undefined;
  if (data?.shown === undefined || data.logged === undefined) return e.detail ?? '';
  const key = (b64: string) => fingerprint(decodeIdentityValue(fromBase64(b64)));
  return `shown ${key(data.shown)}, the log's version ${data.version} holds ${key(data.logged)}${e.refused === true ? ' (refused)' : ' (reported: the message is already here)'}`;
}

/** Waits (briefly) for a `kt` event of `kind` from `source` after index `from`. */
export async function nextKtEvent(events: KtEvent[], from: number, kind: KtEvent['kind'], source: KtEvent['source'], timeoutMs = 5000): Promise<KtEvent | undefined> {
  try {
    await waitFor(() => events.slice(from).some((e) => e.kind === kind && e.source === source), timeoutMs, `a ${kind} event`);
  } catch {
    return undefined;
  }
  return events.slice(from).find((e) => e.kind === kind && e.source === source);
}
