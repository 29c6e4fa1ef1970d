/**
 * `pnpm run bench:groups [members=1000]` (= `npx tsx scripts/bench/groups.ts`):
 * one group message to N single-device members, measured in one run:
 *
 * - Sealpost: `groupEncrypt` + `sealGroupMessage` (sealed sender v2
 *   multi-recipient SentMessage), against libsignal-client 0.90 doing the
 *   same (`groupEncrypt` + `UnidentifiedSenderMessageContent.new` +
 *   `sealedSenderMultiRecipientEncrypt`); wire bytes must be equal;
 * - against N pairwise sends (Sealpost 1:1 `encryptMessage` + `sealV1`
 *   each), on first-message sessions (PreKeySignalMessages carrying a
 *   Kyber ciphertext, as Signal's first send to a member) and on
 *   established sessions; libsignal's `sealedSenderEncryptMessage` ×N for
 *   reference;
 * - Sealpost again with a warm `SealedSenderV2AgreementCache` (DH(sender,
 *   member) reused across sends; identical bytes);
 * - receive cost per message: `unseal` (v2, certificate checked, server
 *   certificate cache as a client keeps one) +
 *   `groupMessageFromSealed` + `groupDecrypt` (and with the record
 *   deserialized and serialized, as a store does), against libsignal's
 *   `sealedSenderDecryptToUsmc` + `groupDecrypt`.
 *
 * Medians of interleaved rounds (BENCH_ROUNDS, default 7; pairwise rows 3).
 * Prints Markdown. Not a test: docs/benchmarks.md "Issue 13 groups" records runs.
 */
import { randomUUID } from 'node:crypto';
import {
  ContentHint,
  PrivateKey,
  SenderCertificate,
  SenderKeyDistributionMessage,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  groupDecrypt as lsGroupDecrypt,
  groupEncrypt as lsGroupEncrypt,
  processSenderKeyDistributionMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncryptMessage,
  sealedSenderMultiRecipientEncrypt,
} from '@signalapp/libsignal-client';
import { InMemorySenderKeyStore, LibsignalPeer, ab } from '@sealpost/devkit/libsignal';
import { OursPeer } from '@sealpost/devkit/ours';
import { curveKeyPairFromPrivate } from '@sealpost/protocol';
import {
  createDistributionMessage,
  deserializeSenderKeyRecord,
  groupDecrypt,
  groupEncrypt,
  groupMessageFromSealed,
  processDistributionMessage,
  sealGroupMessage,
  serializeSenderKeyRecord,
  type SenderKeyRecord,
} from '@sealpost/protocol/groups';
import {
  ContentHint as OurHint,
  SealedContentType,
  SealedSenderV2AgreementCache,
  ServerCertificateCache,
  sealV1,
  splitV2ForRecipient,
  unseal,
} from '@sealpost/protocol/sealed-sender';
import { machineDescription } from './report.ts';
import { median, now } from './timing.ts';

const N = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const PAIRWISE_ROUNDS = Math.max(1, Math.min(ROUNDS, 3));
const RECEIVE_COUNT = 200;
/** A padded Content of 159 bytes (Signal pads to 160·k − 1). */
const PLAINTEXT = new Uint8Array(159).fill(0x2a);
const GROUP_ID = new Uint8Array(32).fill(7);

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function timeMs(run: () => unknown): Promise<number> {
  const start = now();
  await run();
  return now() - start;
}

// ---- cast ------------------------------------------------------------------
log(`setting up ${N} members…`);
const trustRoot = PrivateKey.generate();
const serverKey = PrivateKey.generate();
const serverCertificate = ServerCertificate.new(1, serverKey.getPublicKey(), trustRoot);
const lsAlice = new LibsignalPeer({ name: randomUUID(), keeping: 'live' });
const aliceIdentity = curveKeyPairFromPrivate(lsAlice.identity.privateKey.serialize());
const cert = SenderCertificate.new(lsAlice.name, null, 1, lsAlice.identity.publicKey, Date.now() + 86_400_000, serverCertificate, serverKey);
const certBytes = cert.serialize();
const members = Array.from({ length: N }, (_, i) => new LibsignalPeer({ name: randomUUID(), registrationId: 1 + (i % 16000), keeping: 'live' }));
for (const m of members) await lsAlice.processBundle(m.address, m.generateBundle({ withOneTimePreKey: false }));
const v2Recipients = members.map((m) => ({ serviceId: m.name, identityKey: m.identityPublic, devices: [{ deviceId: 1, registrationId: m.registrationId }] }));

const dist = randomUUID();
let ourSender: SenderKeyRecord = createDistributionMessage(undefined, dist).record;
const ourSkdm = createDistributionMessage(ourSender, dist).message.serialized;
// libsignal sends from a copy of our sender record (records are byte-compatible), so both
// messages carry the same chain id and iteration and the wire sizes must match exactly.
const lsSenderKeys = new InMemorySenderKeyStore();
lsSenderKeys.putRecordBytes(lsAlice.address, dist, serializeSenderKeyRecord(ourSender));
const agreementCache = new SealedSenderV2AgreementCache();
const serverCertificateCache = new ServerCertificateCache();

// ---- group send ------------------------------------------------------------
function ourGroupSend(cache?: SealedSenderV2AgreementCache): Uint8Array {
  const { record, message } = groupEncrypt(ourSender, dist, PLAINTEXT);
  ourSender = record;
  return sealGroupMessage({
    message,
    senderCertificate: certBytes,
    contentHint: OurHint.Resendable,
    groupId: GROUP_ID,
    senderIdentity: aliceIdentity,
    recipients: v2Recipients,
    ...(cache === undefined ? {} : { agreementCache: cache }),
  });
}

async function lsGroupSend(): Promise<Uint8Array> {
  const ctm = await lsGroupEncrypt(lsAlice.address, dist, lsSenderKeys, ab(PLAINTEXT));
  const usmc = UnidentifiedSenderMessageContent.new(ctm, cert, ContentHint.Resendable, ab(GROUP_ID));
  return sealedSenderMultiRecipientEncrypt({ content: usmc, recipients: members.map((m) => m.address), identityStore: lsAlice.identityStore, sessionStore: lsAlice.sessionStore });
}

log('group send rounds…');
let ourSent = ourGroupSend();
let ourWarmSent = ourGroupSend(agreementCache);
let lsSent = await lsGroupSend();
const ourGroup: number[] = [];
const ourWarm: number[] = [];
const lsGroup: number[] = [];
const sameSizes: boolean[] = [];
for (let r = 0; r < ROUNDS; r++) {
  ourGroup.push(await timeMs(() => (ourSent = ourGroupSend())));
  lsGroup.push(await timeMs(async () => (lsSent = await lsGroupSend())));
  ourWarm.push(await timeMs(() => (ourWarmSent = ourGroupSend(agreementCache))));
  // Same chain id (one record) and iterations below 128 on both sides: the sizes must match exactly.
  sameSizes.push(ourSent.length === lsSent.length && ourWarmSent.length === lsSent.length);
}

// ---- pairwise --------------------------------------------------------------
log('pairwise set-up (Sealpost sessions)…');
const oursAlice = new OursPeer({ name: lsAlice.name, identity: aliceIdentity, keeping: 'live' });
const oursMembers = members.map((m) => new OursPeer({ name: m.name, registrationId: m.registrationId, keeping: 'live' }));
for (const m of oursMembers) oursAlice.startSession(m.name, m.bundle({ withOneTimePreKey: false }));

function ourPairwise(): number {
  let bytes = 0;
  for (const m of oursMembers) {
    const inner = oursAlice.encrypt(m.name, PLAINTEXT);
    const sealed = sealV1({
      content: { type: inner.type === 3 ? SealedContentType.PreKey : SealedContentType.Whisper, senderCertificate: certBytes, contents: inner.bytes, contentHint: OurHint.Resendable },
      senderIdentity: aliceIdentity,
      recipientIdentityPublic: m.identity.publicKey,
    });
    bytes += sealed.length;
  }
  return bytes;
}

async function lsPairwise(): Promise<number> {
  let bytes = 0;
  for (const m of members) bytes += (await sealedSenderEncryptMessage(ab(PLAINTEXT), m.address, cert, lsAlice.sessionStore, lsAlice.identityStore)).length;
  return bytes;
}

log('pairwise rounds (first messages)…');
let ourFirstBytes = 0;
let lsFirstBytes = 0;
const ourFirst: number[] = [];
const lsFirst: number[] = [];
for (let r = 0; r < PAIRWISE_ROUNDS; r++) {
  ourFirst.push(await timeMs(() => (ourFirstBytes = ourPairwise())));
  lsFirst.push(await timeMs(async () => (lsFirstBytes = await lsPairwise())));
}

log('establishing the Sealpost sessions (one reply each)…');
for (const m of oursMembers) {
  m.decrypt(lsAlice.name, oursAlice.encrypt(m.name, PLAINTEXT));
  oursAlice.decrypt(m.name, m.encrypt(lsAlice.name, PLAINTEXT));
}
log('pairwise rounds (established sessions)…');
let ourEstablishedBytes = 0;
const ourEstablished: number[] = [];
for (let r = 0; r < PAIRWISE_ROUNDS; r++) ourEstablished.push(await timeMs(() => (ourEstablishedBytes = ourPairwise())));

// ---- receive ---------------------------------------------------------------
log('receive…');
const receiver = members[0]!;
const receiverIdentity = curveKeyPairFromPrivate(receiver.identity.privateKey.serialize());
let ourMember = processDistributionMessage(undefined, ourSkdm);
const lsMemberStore = new InMemorySenderKeyStore();
const lsSkdm = await SenderKeyDistributionMessage.create(lsAlice.address, dist, lsSenderKeys);
await processSenderKeyDistributionMessage(lsAlice.address, lsSkdm, lsMemberStore);
const ourParts: Uint8Array[] = [];
const lsParts: Uint8Array[] = [];
for (let i = 0; i < RECEIVE_COUNT; i++) {
  ourParts.push(splitV2ForRecipient(ourGroupSendTo([v2Recipients[0]!]), receiver.name));
  const ctm = await lsGroupEncrypt(lsAlice.address, dist, lsSenderKeys, ab(PLAINTEXT));
  const usmc = UnidentifiedSenderMessageContent.new(ctm, cert, ContentHint.Resendable, ab(GROUP_ID));
  lsParts.push(splitV2ForRecipient(await sealedSenderMultiRecipientEncrypt({ content: usmc, recipients: [receiver.address], identityStore: lsAlice.identityStore, sessionStore: lsAlice.sessionStore }), receiver.name));
}
function ourGroupSendTo(recipients: typeof v2Recipients): Uint8Array {
  const { record, message } = groupEncrypt(ourSender, dist, PLAINTEXT);
  ourSender = record;
  return sealGroupMessage({ message, senderCertificate: certBytes, contentHint: OurHint.Resendable, groupId: GROUP_ID, senderIdentity: aliceIdentity, recipients });
}
const trust = trustRoot.getPublicKey().serialize();
function ourReceive(part: Uint8Array, viaBytes: boolean): void {
  const unsealed = unseal({ message: part, recipientIdentity: receiverIdentity, trustRoots: trust, now: Date.now(), serverCertificateCache });
  const skm = groupMessageFromSealed(unsealed.content);
  if (viaBytes) {
    const stored = serializeSenderKeyRecord(ourMember);
    ourMember = groupDecrypt(deserializeSenderKeyRecord(stored), skm).record;
    serializeSenderKeyRecord(ourMember);
  } else {
    ourMember = groupDecrypt(ourMember, skm).record;
  }
}
// Warm-up on the first 20, then the three receivers take turns message by message (so load
// swings hit all of them alike): ours with the record in memory, ours through bytes, libsignal.
const WARM = 20;
for (let i = 0; i < WARM; i++) {
  ourReceive(ourParts[i]!, i % 2 === 0);
  const usmc = await sealedSenderDecryptToUsmc(ab(lsParts[i]!), receiver.identityStore);
  await lsGroupDecrypt(lsAlice.address, lsMemberStore, usmc.contents());
}
let ourRecv = 0;
let ourRecvBytes = 0;
let lsRecv = 0;
for (let i = WARM; i < RECEIVE_COUNT; i++) {
  const viaBytes = i % 2 === 1;
  const spent = await timeMs(() => ourReceive(ourParts[i]!, viaBytes));
  if (viaBytes) ourRecvBytes += spent;
  else ourRecv += spent;
  lsRecv += await timeMs(async () => {
    const usmc = await sealedSenderDecryptToUsmc(ab(lsParts[i]!), receiver.identityStore);
    await lsGroupDecrypt(lsAlice.address, lsMemberStore, usmc.contents());
  });
}
const timed = RECEIVE_COUNT - WARM;
const perOurRecv = ourRecv / (timed / 2);
const perOurRecvBytes = ourRecvBytes / (timed / 2);
const perLsRecv = lsRecv / timed;

// ---- report ----------------------------------------------------------------
const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(0));
const kb = (b: number): string => b.toLocaleString('en-US');
const og = median(ourGroup);
const ow = median(ourWarm);
const lg = median(lsGroup);
const of = median(ourFirst);
const lf = median(lsFirst);
const oe = median(ourEstablished);
const out = [
  `# Group send to ${N} single-device members (one run)`,
  '',
  ...machineDescription().map((l) => `- ${l}`),
  `- rounds: group send median of ${ROUNDS}, pairwise median of ${PAIRWISE_ROUNDS}; receive: mean over ${(RECEIVE_COUNT - 20) / 2} messages per Sealpost variant, ${RECEIVE_COUNT - 20} for libsignal, interleaved`,
  '',
  '| scenario | Sealpost | libsignal-client 0.90 | ratio (libsignal / Sealpost time) |',
  '|---|---|---|---|',
  `| group send: sender key + SSv2 multi-recipient, ms (min–max) | ${ms(og)} (${ms(Math.min(...ourGroup))}–${ms(Math.max(...ourGroup))}) | ${ms(lg)} (${ms(Math.min(...lsGroup))}–${ms(Math.max(...lsGroup))}) | ${(lg / og).toFixed(2)}× |`,
  `| group send, agreement cache warm (same bytes), ms (min–max) | ${ms(ow)} (${ms(Math.min(...ourWarm))}–${ms(Math.max(...ourWarm))}) | (no such cache) | ${(lg / ow).toFixed(2)}× |`,
  `| group send: bytes on the wire | ${kb(ourSent.length)} | ${kb(lsSent.length)} | ${sameSizes.every(Boolean) ? 'equal in every round' : 'DIFFERENT'} |`,
  `| ${N} pairwise sealed sends, first messages (PreKey + Kyber), ms | ${ms(of)} | ${ms(lf)} | ${(lf / of).toFixed(2)}× |`,
  `| ${N} pairwise sealed sends, first messages, bytes | ${kb(ourFirstBytes)} | ${kb(lsFirstBytes)} | |`,
  `| ${N} pairwise sealed sends, established sessions, ms | ${ms(oe)} | — | |`,
  `| ${N} pairwise sealed sends, established sessions, bytes | ${kb(ourEstablishedBytes)} | — | |`,
  `| receive one group message (unseal v2 + groupDecrypt), ms | ${perOurRecv.toFixed(3)} | ${perLsRecv.toFixed(3)} | ${(perLsRecv / perOurRecv).toFixed(2)}× |`,
  `| receive, record deserialized + serialized as a store does, ms | ${perOurRecvBytes.toFixed(3)} | — | |`,
  '',
  'Sealpost sender-key path against Sealpost pairwise:',
  '',
  `- (cold: no agreement cache)
- vs first messages: ${(of / og).toFixed(1)}× faster, ${(ourFirstBytes / ourSent.length).toFixed(1)}× fewer bytes`,
  `- vs established sessions: ${(oe / og).toFixed(1)}× faster, ${(ourEstablishedBytes / ourSent.length).toFixed(1)}× fewer bytes`,
];
console.log(out.join('\n'));
