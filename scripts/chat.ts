/**
 * Interactive terminal chat between two (or more) profiles.
 *
 *   terminal 1:  npx tsx scripts/chat.ts serve            # key server + relay on loopback
 *   terminal 2:  npx tsx scripts/chat.ts alice bob        # be "alice", talk to "bob"
 *   terminal 3:  npx tsx scripts/chat.ts bob alice        # be "bob", talk to "alice"
 *
 * Everything lives in `--dir` (default ./.sealpost-chat): the services'
 * SQLite files and keys, and one client database per profile. A profile
 * registers on first start and publishes its contact card to the directory
 * (standing in for a QR code). Type a line to send it; commands:
 *
 *   /reply <text>    reply to the last message received
 *   /react <emoji>   react to the last message received
 *   /safety          show the safety number with the peer
 *   /send-file PATH  send a file as an encrypted attachment (images: EXIF stripped, thumbnail)
 *   /save N [PATH]   save received attachment N (listed with name, size, type) — by default
 *                    into <dir>/<profile>-files/, mode 0600; verified before it appears
 *   /link <uri>      approve linking another device of this profile: start it with
 *                    `chat.ts <profile>-2 <peer> --link`, which prints the link URI (its
 *                    one-time public key and relay mailbox; no secret) to paste here
 *   /typing          tell the peer you are typing (the keyboard does that on a terminal too)
 *   /list /search WORDS /history /more /read /receipts on|off
 *                    conversations with unread counts, search, history pages, mark read,
 *                    the read-receipt switch (scripts/chat-conversations.ts)
 *   /quit
 *
 * Receipts and typing (chat-receipts.ts): "✓✓" / "✓✓ read" lines when the
 * peer's devices received / read our messages, "<peer> is typing…".
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { SealpostClient, type MessageRef, type ReceivedMessage } from '@sealpost/client';
import { SqliteStore } from '@sealpost/client/sqlite';
import { fromBase64, toBase64 } from '@sealpost/protocol/primitives';
import { startLocalServices, type ServiceKeys } from '@sealpost/devkit/services';
import { ChatFiles } from './chat-files.ts';
import { chatReceipts } from './chat-receipts.ts';
import { formatTimer, timerCommand, watchDisappearing } from './chat-disappearing.ts';
import { ChatConversations } from './chat-conversations.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string', default: '.sealpost-chat' },
    'keyserver-port': { type: 'string', default: '8780' },
    'relay-port': { type: 'string', default: '8781' },
    'blob-port': { type: 'string', default: '8782' },
    link: { type: 'boolean', default: false },
  },
});
const dir = resolve(values.dir!);
// The directory holds service keys and every profile's database: private to the user.
if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
/** Writes a file only the user may read (mode set explicitly, whatever the umask or an older file's mode). */
const writePrivate = (file: string, text: string) => {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
};
const servicesFile = join(dir, 'services.json');
const b64 = toBase64;
const unb64 = (s: string) => fromBase64(s);

async function serve(): Promise<void> {
  type Pair = { privateKey: string; publicKey: string };
  const keysFile = join(dir, 'service-keys.json');
  let keys: ServiceKeys | undefined;
  if (existsSync(keysFile)) {
    const raw = JSON.parse(readFileSync(keysFile, 'utf8')) as Record<keyof ServiceKeys, Pair>;
    const pair = (p: Pair) => ({ privateKey: unb64(p.privateKey), publicKey: unb64(p.publicKey) });
    keys = { trustRoot: pair(raw.trustRoot), serverKey: pair(raw.serverKey), relayKey: pair(raw.relayKey) };
  }
  const services = await startLocalServices({
    keyServerDb: join(dir, 'keyserver.db'),
    relayDb: join(dir, 'relay.db'),
    keyServerPort: Number(values['keyserver-port']),
    relayPort: Number(values['relay-port']),
    blobs: { directory: join(dir, 'blobs'), port: Number(values['blob-port']) },
    ...(keys === undefined ? {} : { keys }),
  });
  const pair = (p: { privateKey: Uint8Array; publicKey: Uint8Array }) => ({ privateKey: b64(p.privateKey), publicKey: b64(p.publicKey) });
  writePrivate(keysFile, JSON.stringify({ trustRoot: pair(services.keys.trustRoot), serverKey: pair(services.keys.serverKey), relayKey: pair(services.keys.relayKey) }));
  writeFileSync(servicesFile, JSON.stringify({ keyServerUrl: services.keyServerUrl, relayUrl: services.relayUrl, blobUrl: services.blobUrl, trustRoot: b64(services.trustRoot) }));
  console.log(`key server ${services.keyServerUrl}, relay ${services.relayUrl}, blobs ${services.blobUrl}; state in ${dir}. Ctrl-C to stop.`);
  const stop = async () => {
    await services.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

async function chat(profile: string, peerProfile: string): Promise<void> {
  if (!existsSync(servicesFile)) throw new Error(`no services running: start "npx tsx scripts/chat.ts serve" first (${servicesFile})`);
  const svc = JSON.parse(readFileSync(servicesFile, 'utf8')) as { keyServerUrl: string; relayUrl: string; blobUrl?: string; trustRoot: string };
  const client = await SealpostClient.open({
    store: new SqliteStore(join(dir, `${profile}.db`)),
    keyServerUrl: svc.keyServerUrl,
    relayUrl: svc.relayUrl,
    trustRoot: unb64(svc.trustRoot),
  });
  if (!client.registered) {
    if (values.link === true) {
      const linking = await client.beginLink();
      console.log(`to link this device, type on ${profile.replace(/-\d+$/, '')}'s chat: /link ${linking.uri}`);
      const a = await linking.complete();
      console.log(`linked as device ${a.device} of ${a.account}`);
    } else {
      const a = await client.register();
      console.log(`registered ${profile}: account ${a.account}`);
    }
  }
  // The card carries the profile key (it derives the access key senders need): private file too.
  writePrivate(join(dir, `${profile}.card`), SealpostClient.encodeContactCard(client.contactCard()));
  const files = svc.blobUrl === undefined ? undefined : new ChatFiles(client, svc.blobUrl, join(dir, `${profile}-files`));
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: `${profile}> ` });
  const print = (line: string) => {
    process.stdout.write(`\r\x1b[K${line}\n`);
    rl.prompt(true);
  };
  let peer: string | undefined;
  const findPeer = async (): Promise<string | undefined> => {
    if (peer !== undefined) return peer;
    const cardFile = join(dir, `${peerProfile}.card`);
    if (!existsSync(cardFile)) return undefined;
    const card = SealpostClient.decodeContactCard(readFileSync(cardFile, 'utf8'));
    await client.addContact(card);
    peer = card.account;
    return peer;
  };
  const conversations = new ChatConversations(client, (p) => (p === peer ? peerProfile : p === client.address.account ? profile : p.slice(0, 12)));
  let last: { ref: MessageRef; from: string } | undefined;
  client.on('message', (m: ReceivedMessage) => {
    const c = m.content;
    const who = m.fromSelf ? `${profile} (other device)` : peerProfile;
    let body = c.text ?? '';
    if (c.replyTo) body = `(reply) ${body}`;
    if (c.reaction) body = `reacted ${c.reaction.emoji}`;
    if (body === '' && c.attachments?.length) body = `sent ${c.attachments.length} attachment(s)`;
    if (c.expireTimer?.update) return; // printed by watchDisappearing
    if (c.expireTimer !== undefined && c.expireTimer.seconds > 0) body += ` ⏳${formatTimer(c.expireTimer.seconds)}`;
    print(`${new Date(c.timestamp).toLocaleTimeString()} ${who}: ${body}`);
    for (const line of files?.incoming(c.attachments) ?? []) print(line);
    if (!m.fromSelf) last = { ref: { author: m.sender.account, timestamp: c.timestamp }, from: m.sender.account };
  });
  const receipts = chatReceipts(client, print, peerProfile, () => peer, () => rl.line);
  watchDisappearing(client, print, (account) => (account === client.address.account ? profile : peerProfile));
  client.on('identityChanged', () => print(`⚠ the safety number with ${peerProfile} changed. Compare it again (/safety).`));
  client.on('connection', (s) => {
    if (s === 'waiting') print('(relay unreachable, retrying…)');
  });
  client.on('error', (p) => print(`! ${(p.error as Error).message}`));
  await client.start();
  console.log(`chatting as ${profile} with ${peerProfile}. /reply /react /timer /typing /safety /send-file /save /list /search /history /read /receipts /link /quit`);
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    try {
      if (text === '/quit') break;
      if (text === '/link' || text.startsWith('/link ')) {
        const uri = text.slice(5).trim();
        if (uri === '') print('usage: /link <uri printed by the new device (chat.ts <profile>-2 <peer> --link)>');
        else {
          await client.approveLink(uri);
          print('link approved: the new device is joining');
        }
        continue;
      }
      if (text === '/save' || text.startsWith('/save ')) {
        print(files === undefined ? 'no blob service (restart "chat.ts serve")' : await files.save(text.slice(5)));
        continue;
      }
      const to = await findPeer();
      const answer = text.startsWith('/') ? await conversations.run(text, to) : undefined;
      if (answer !== undefined) {
        for (const l of answer) print(l);
        continue;
      }
      if (text === '') {
        rl.prompt();
        continue;
      }
      if (to === undefined) {
        print(`${peerProfile} has not started yet (no ${peerProfile}.card in ${dir})`);
        continue;
      }
      if (text === '/typing') await client.typing(to, 'started');
      else if (text === '/safety') print(`safety number with ${peerProfile}: ${(await client.safetyNumber(to)).grouped}`);
      else if (text === '/send-file' || text.startsWith('/send-file ')) {
        const path = text.slice(10).trim();
        if (path === '') print('usage: /send-file PATH');
        else if (files === undefined) print('no blob service (restart "chat.ts serve")');
        else print(await files.send(to, path));
      } else if (text === '/timer' || text.startsWith('/timer ')) {
        await timerCommand(client, to, text.slice(6));
      } else if (text.startsWith('/reply ')) {
        if (last === undefined) print('nothing to reply to yet');
        else await client.reply(to, text.slice(7), last.ref);
      } else if (text.startsWith('/react ')) {
        if (last === undefined) print('nothing to react to yet');
        else await client.react(to, text.slice(7).trim(), last.ref);
      } else receipts.sent((await client.send(to, { text })).ref, text);
    } catch (e) {
      print(`! ${(e as Error).message}`);
    }
    rl.prompt();
  }
  rl.close();
  await client.close();
}

const [first, second] = positionals;
if (first === 'serve') await serve();
else if (first !== undefined && second !== undefined) await chat(first, second);
else {
  console.log('usage: chat.ts serve | chat.ts <me> <peer> [--link] [--dir DIR]');
  process.exit(2);
}
