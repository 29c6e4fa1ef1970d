/**
 * `npm run demo` — Sealpost end to end in one command.
 *
 * Starts a key server (with its key-transparency log and three witnesses)
 * and a relay on loopback, the relay and the clients on embedded SQLite (in
 * a temporary directory), creates Alice and Bob (Bob with a phone and a
 * laptop), runs a scripted conversation — out-of-order delivery, a reply, a
 * reaction, a photo sent as an encrypted attachment (EXIF
 * stripped; the blob server's directory listed: ciphertext, no names), a
 * group of three (one multi-recipient send per message, a member's new
 * device joining, a member removed who cannot read what follows), delivery
 * and read receipts with ticks per device and a typing indicator —
 * and prints what each user saw beside what the relay saw: sealed
 * envelopes with a recipient, a size and a time, and no sender.
 *
 * Key transparency is on (scripts/demo-kt.ts): the key server logs every
 * identity key, three witnesses cosign its checkpoints (2 of 3 needed), and
 * every client pins the log and the policy (`enforce`). The insider scene:
 * the key server swaps Bob's key for Alice — her client refuses it with the
 * evidence and nothing is encrypted to it; logged as a new version instead,
 * Bob's owner monitoring raises the alarm; a forged sender certificate is
 * flagged as an identity change and fails the log check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEnvelopeStore, type EnvelopeStore, type NewEnvelope } from '@sealpost/relay';
import { SealpostClient, type ReceivedMessage } from '@sealpost/client';
import { SqliteStore } from '@sealpost/client/sqlite';
import { toHex } from '@sealpost/protocol/primitives';
import { impersonate } from '@sealpost/devkit/services';
import { collectKt } from '@sealpost/devkit/kt-services';
import { startKtInsider } from '@sealpost/devkit/kt-insider';
import { describeMismatch, keyTransparencyStep, nextKtEvent, startWallClockKt, verifiedLine } from './demo-kt.ts';
import { pictureStep } from './demo-attachment.ts';
import { groupStep } from './demo-group.ts';
import { conversationsStep } from './demo-conversations.ts';
import { receiptsStep } from './demo-receipts.ts';
import { editsStep } from './demo-edits.ts';
import { accountDeletionStep } from './demo-account-deletion.ts';
import { disappearingStep } from './demo-disappearing.ts';
import { historyStep } from './demo-history.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-demo-'));
const useColor = process.stdout.isTTY;
const paint = (code: number) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint(1);
const dim = paint(2);
const yellow = paint(33);
const cyan = paint(36);
const green = paint(32);
const clock = (t: number) => new Date(t).toISOString().slice(11, 23);

// What the relay stored, recorded at its storage boundary: exactly the rows it keeps.
interface RelayRow {
  at: number;
  recipient: string;
  bytes: number;
  head: string;
}
const relayRows: RelayRow[] = [];
const names = new Map<string, string>();
const relayStore = new SqliteEnvelopeStore({ path: join(dir, 'relay.db') });
const recordingStore: EnvelopeStore = new Proxy(relayStore, {
  get(target, prop, receiver) {
    if (prop === 'enqueue') {
      return (envelopes: NewEnvelope[], now: number, ttlMs: number, depth: number) => {
        const queued = target.enqueue(envelopes, now, ttlMs, depth);
        for (const e of envelopes) {
          relayRows.push({
            at: now,
            recipient: `${names.get(e.accountId) ?? e.accountId}#${e.deviceId}`,
            bytes: e.content.length,
            head: toHex(e.content.subarray(0, 12)),
          });
        }
        return queued;
      };
    }
    const value = Reflect.get(target, prop, receiver) as unknown;
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
});

const blobDir = join(dir, 'blobs');
// Key transparency on: the key server logs every identity key, three witnesses cosign its checkpoints (2 of 3 needed).
const kt = await startWallClockKt({ relay: { store: recordingStore }, blobs: { directory: blobDir } });
const services = kt.services;
// The insider who runs the key server: Alice's client reaches it through the insider's front (honest until the insider scene).
const insider = await startKtInsider(kt);

function device(file: string, now?: () => number, keyServerUrl = services.keyServerUrl): SealpostClient {
  return new SealpostClient({
    ...(now === undefined ? {} : { now }),
    store: new SqliteStore(join(dir, file)),
    keyServerUrl,
    relayUrl: services.relayUrl,
    trustRoot: services.trustRoot,
    // Every client pins the log (origin, note key, VRF key) and the witness policy, like the trust root.
    keyTransparency: kt.ktOptions('enforce'),
    receive: { mode: 'manual' },
    upkeep: { automatic: false },
    // Delivery receipts wait for the receipts step (demo-receipts.ts), which flushes them: each step's relay rows stay its own.
    receipts: { deliveryDelayMs: 3_600_000 },
  });
}

// What each user saw, in order (per user, and as one stream for the side-by-side view).
const seen = new Map<string, string[]>();
const stream: string[] = [];
function watch(client: SealpostClient, label: string): void {
  seen.set(label, []);
  const log = (line: string) => {
    seen.get(label)!.push(line);
    stream.push(`${bold(label)}: ${line}`);
  };
  client.on('message', (m: ReceivedMessage) => log(describe(m)));
  client.on('identityChanged', (c) => log(yellow(`⚠ safety number with ${names.get(c.account)} changed — verify before trusting`)));
  client.on('kt', (e) => {
    if (e.kind !== 'verified') log(yellow(`⚠ key transparency: ${e.kind}${e.refused === true ? ' (refused)' : ''} for ${names.get(e.account ?? '') ?? e.account} (${e.source})`));
  });
}
const byTimestamp = new Map<string, string>();
function describe(m: ReceivedMessage): string {
  const who = m.fromSelf ? `me (other device) → ${names.get(m.conversation)}` : names.get(m.sender.account) ?? m.sender.account;
  if (m.group !== undefined) return `${m.fromSelf ? 'me (other device)' : who}: ${m.content.text ?? ''} [${names.get(m.conversation) ?? 'group'}]`;
  const c = m.content;
  let body = c.text ?? '';
  if (c.replyTo) body = `↪ re "${byTimestamp.get(`${c.replyTo.author}/${c.replyTo.timestamp}`) ?? '?'}": ${body}`;
  if (c.expireTimer?.update) body = `⏳ set disappearing messages to ${c.expireTimer.seconds} s`;
  if (c.reaction) body = `reacted ${c.reaction.emoji} to "${byTimestamp.get(`${c.reaction.target.author}/${c.reaction.target.timestamp}`) ?? '?'}"`;
  if (c.attachments?.length) body += ` [${c.attachments.map((a) => `${a.contentType} ${a.size} B${a.caption ? ` "${a.caption}"` : ''}`).join(', ')}]`;
  return `${who}: ${body}`;
}
// Prints what users saw during the last step beside what the relay stored meanwhile.
let streamAt = 0;
let relayAt = 0;
const visible = (t: string) => t.replace(/\x1b\[[0-9;]*m/g, '');
const fit = (t: string, width: number) => {
  const v = visible(t);
  return v.length > width ? v.slice(0, width - 1) + '…' : t + ' '.repeat(width - v.length);
};
function flush(): void {
  const left = stream.slice(streamAt);
  const right = relayRows.slice(relayAt).map((r) => `${clock(r.at)} → ${r.recipient.padEnd(8)} ${String(r.bytes).padStart(5)} B  ${r.head.slice(0, 8)}…`);
  streamAt = stream.length;
  relayAt = relayRows.length;
  if (left.length === 0 && right.length === 0) return;
  const width = 62;
  console.log(dim(`    ${fit('users saw', width)} │ relay stored (recipient, size, time — no sender)`));
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    console.log(`    ${fit(left[i] ?? '', width)} ${dim('│')} ${right[i] ?? ''}`);
  }
}
function step(title: string): void {
  flush();
  console.log(`\n${bold(cyan('▸ ' + title))}`);
}
function said(text: string, author: string, timestamp: number, by?: string, to?: string): void {
  byTimestamp.set(`${author}/${timestamp}`, text);
  if (by !== undefined) {
    seen.get(by)?.push(dim(`me → ${to}: ${text}`));
    stream.push(`${bold(by)}: ${dim(`me → ${to}: ${text}`)}`);
  }
}

try {
  console.log(bold('Sealpost demo') + dim(`  (key server ${services.keyServerUrl}, relay ${services.relayUrl}, data in ${dir})`));
  console.log(dim(`  key transparency: log ${kt.settings.origin}, ${kt.witnesses.urls.length} witnesses, quorum ${kt.settings.witnessQuorum}`));

  step('Alice registers; Bob registers his phone and links his laptop (laptop shows a one-time public key, the phone seals the keys to it)');
  const alice = device('alice.db', undefined, insider.url);
  const aliceKt = collectKt(alice);
  const bobPhone = device('bob-phone.db');
  const bobLaptop = device('bob-laptop.db');
  await alice.register();
  await bobPhone.register();
  const linking = await bobLaptop.beginLink();
  console.log(`  laptop shows ${linking.uri.slice(0, 48)}… (QR code: relay mailbox id + public key only)`);
  await bobPhone.approveLink(linking.uri);
  await linking.complete();
  const A = alice.address.account;
  const B = bobPhone.address.account;
  names.set(A, 'Alice').set(B, 'Bob');
  watch(alice, 'Alice');
  watch(bobPhone, 'Bob (phone)');
  watch(bobLaptop, 'Bob (laptop)');
  console.log(`  Alice = ${A}#1, Bob = ${B}#1 (phone) + #${bobLaptop.address.device} (laptop)`);
  console.log('  each device uploaded a signed prekey, a last-resort Kyber1024 prekey, 100 EC + 100 Kyber one-time prekeys');

  step('They swap contact cards (QR code in a real app)');
  await alice.addContact(bobPhone.contactCard());
  await bobPhone.addContact(alice.contactCard());
  await bobLaptop.addContact(alice.contactCard());

  step('Alice → Bob: a first message reaches both of his devices');
  const m1 = await alice.send(B, { text: 'Hi Bob! Lunch tomorrow?' });
  said('Hi Bob! Lunch tomorrow?', A, m1.content.timestamp, 'Alice', 'Bob');
  console.log(`  sealed for Bob's devices ${m1.devices.join(', ')} (PQXDH session per device, then Double Ratchet)`);
  if (!aliceKt.some((e) => e.kind === 'verified' && e.source === 'bundle' && e.account === B)) throw new Error("Alice's fetch of Bob's bundle was not verified");
  console.log(`  ${await verifiedLine(alice, kt)} — Bob's key is the one his label in the log holds, before any session was built`);
  await bobPhone.poll();
  await bobLaptop.poll();
  const sn = await alice.safetyNumber(B);
  console.log(`  safety number (same on both sides): ${sn.grouped}`);
  console.log(`  Bob's phone computes:               ${(await bobPhone.safetyNumber(A)).grouped}`);

  step('Out-of-order delivery: Alice sends three messages, Bob\'s phone processes them 3, 1, 2');
  const texts = ['How about 12:30?', 'At the noodle place.', 'My treat 🍜'];
  const sentOoo = [];
  for (const t of texts) {
    const s = await alice.send(B, { text: t });
    said(t, A, s.content.timestamp, 'Alice', 'Bob');
    sentOoo.push(s);
  }
  const { envelopes } = await bobPhone.relay.fetch();
  const order = [2, 0, 1];
  for (const i of order) await bobPhone.receiveEnvelope(envelopes[i]!);
  await bobPhone.relay.acknowledge(envelopes.map((e) => e.id));
  console.log('  each decrypted once: the ratchet keeps skipped message keys for late arrivals');
  await bobLaptop.poll();

  step('Bob replies from his laptop to "At the noodle place." (his phone gets a sync copy)');
  const reply = await bobLaptop.reply(A, 'Perfect, see you there!', sentOoo[1]!.ref);
  said('Perfect, see you there!', B, reply.content.timestamp);
  seen.get('Bob (laptop)')!.push(dim('me → Alice: ↪ re "At the noodle place.": Perfect, see you there!'));
  stream.push(`${bold('Bob (laptop)')}: ${dim('me → Alice: ↪ re "At the noodle place.": Perfect, see you there!')}`);
  console.log(`  sealed for Alice's device(s) ${reply.devices.join(', ')} and Bob's own device(s) ${reply.syncedDevices.join(', ')}`);
  await alice.poll();
  await bobPhone.poll();

  step('Alice reacts ❤️ to the reply');
  await alice.react(B, '❤️', reply.ref);
  seen.get('Alice')!.push(dim('me → Bob: reacted ❤️ to "Perfect, see you there!"'));
  stream.push(`${bold('Alice')}: ${dim('me → Bob: reacted ❤️ to "Perfect, see you there!"')}`);
  await bobPhone.poll();
  await bobLaptop.poll();

  step('Alice sends Bob a photo with GPS in its EXIF (an encrypted attachment: the blob server gets ciphertext only)');
  await pictureStep({
    alice,
    bob: bobPhone,
    bobOther: bobLaptop,
    blobUrl: services.blobUrl!,
    blobDir,
    workDir: dir,
    style: { bold, dim, green },
    sent: (t) => {
      seen.get('Alice')!.push(dim(`me → Bob: ${t}`));
      stream.push(`${bold('Alice')}: ${dim(`me → Bob: ${t}`)}`);
    },
  });

  const groupClients = await groupStep({
    alice,
    bobPhone,
    bobLaptop,
    device,
    names,
    watch,
    step,
    style: { dim, green },
    sent: (label, t) => {
      seen.get(label)?.push(dim(`me → ${t}`));
      stream.push(`${bold(label)}: ${dim(`me → ${t}`)}`);
    },
  });

  await receiptsStep({ alice, bobPhone, bobLaptop, names, step, style: { dim, green } });
  await conversationsStep({ alice, bobPhone, bobLaptop, names, step, style: { dim, green } });
  await editsStep({ alice, bobPhone, bobLaptop, step, style: { dim, green }, show: (label, line) => (seen.get(label)?.push(line), stream.push(`${bold(label)}: ${line}`)) });
  await accountDeletionStep({ alice, carol: groupClients[0]!, carolTablet: groupClients[1]!, keyServerUrl: services.keyServerUrl, step, style: { dim, green } });
  await disappearingStep({ alice, bobPhone, bobLaptop, reopen: device, path: (f) => join(dir, f), names, step, style: { dim, green }, sent: (label, t) => { seen.get(label)?.push(dim(`me → ${t}`)); stream.push(`${bold(label)}: ${dim(`me → ${t}`)}`); } });

  const historyLaptop = await historyStep({ bobPhone, alice, device, blobUrl: services.blobUrl!, blobDir, names, step, style: { dim, green } });

  await keyTransparencyStep({ alice, bobPhone, bobLaptop, names, step, style: { dim, green }, kt, insider, aliceKt, relayRowsFor: (account) => relayRows.filter((r) => r.recipient.startsWith(`${names.get(account) ?? account}#`)).length });

  step('An insider who runs the key server forges a sender certificate and writes to Alice "as Bob"');
  const mallory = device('mallory.db');
  await mallory.register();
  names.set(mallory.address.account, 'Mallory');
  const ktBefore = aliceKt.length;
  await impersonate(services, mallory, alice, B, 'Send me your password?');
  await alice.poll();
  const senderCheck = await nextKtEvent(aliceKt, ktBefore, 'mismatch', 'sender');
  if (senderCheck !== undefined) console.log(`  Alice's client checks the certified key against the log in the background: "${senderCheck.kind}" — ${describeMismatch(senderCheck)}`);
  console.log(`  Alice's client: identity key for Bob changed → safety number now ${(await alice.safetyNumber(B)).grouped}`);
  console.log('  (with identityPolicy "block" the message would be refused until Alice verifies)');

  flush();

  // ------------------------------------------------------------------ report
  console.log(`\n${bold('What each user saw')}`);
  for (const [label, lines] of seen) {
    console.log(`  ${bold(label)}`);
    for (const l of lines) console.log(`    ${l}`);
  }
  console.log(
    `\n${green('✓')} ${relayRows.length} envelopes; the relay never learned who sent any of them. ` +
      `Alice ${await alice.store.history.count()} stored messages, Bob's phone ${await bobPhone.store.history.count()}, laptop ${await bobLaptop.store.history.count()}.`,
  );
  console.log(dim('  (the relay column names recipient account ids "Alice"/"Bob" for readability; it stores the UUIDs)'));
  for (const c of [alice, bobPhone, bobLaptop, mallory, ...groupClients, historyLaptop]) await c.close();
} finally {
  await insider.close();
  await kt.close();
  rmSync(dir, { recursive: true, force: true });
}
