/**
 * The demo's history step (scripts/demo.ts): Bob links a new laptop, and it
 * shows the earlier conversation with Alice. The phone put an offer id into
 * the sealed provisioning message; once linked, the laptop asked for it; the
 * phone archived its recent history (bounded: 1000 messages, 30 days),
 * encrypted it with a fresh attachment key, uploaded it to the blob service
 * and sent the pointer to the new laptop alone, end-to-end encrypted. The
 * laptop verified digest and MACs and imported the rows in one transaction.
 * The archive blob on the blob server is searched for the conversation's texts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryTransferEvent, SealpostClient } from '@sealpost/client';
import { AttachmentClient, historyBlobsOf, type AttachmentPointer } from '@sealpost/client/attachments';

export interface HistoryStepContext {
  bobPhone: SealpostClient;
  alice: SealpostClient;
  /** A new client on its own SQLite file. */
  device: (file: string) => SealpostClient;
  blobUrl: string;
  blobDir: string;
  names: Map<string, string>;
  /** Prints a step title (and the previous step's user and relay views). */
  step: (title: string) => void;
  style: { dim: (s: string) => string; green: (s: string) => string };
}

/** Runs the step; returns the client it made (for closing). */
export async function historyStep(ctx: HistoryStepContext): Promise<SealpostClient> {
  const { bobPhone, alice } = ctx;
  const { dim, green } = ctx.style;
  const A = alice.address.account;
  ctx.step("Bob's new laptop: linked, it shows the earlier conversation (history archive: encrypted, via the blob service, pointer to that device only)");
  const laptop = ctx.device('bob-new-laptop.db');
  const uploads: AttachmentPointer[] = [];
  const phoneBlobs = historyBlobsOf(new AttachmentClient({ keyServer: bobPhone.keyServer, store: bobPhone.store, blobUrl: ctx.blobUrl }));
  bobPhone.historyTransfer.useBlobs({ upload: async (p, cb) => { const ptr = await phoneBlobs.upload(p, cb); uploads.push(ptr); return ptr; }, download: phoneBlobs.download });
  laptop.historyTransfer.useBlobs(historyBlobsOf(new AttachmentClient({ keyServer: laptop.keyServer, store: laptop.store, blobUrl: ctx.blobUrl })));
  const phases: string[] = [];
  const record = (who: string) => (e: HistoryTransferEvent) => {
    if (e.phase === 'uploading' || e.phase === 'downloading') return;
    const counts = e.imported !== undefined ? ` (${e.imported} imported, ${e.skipped} already there)` : e.messages !== undefined ? ` (${e.messages} messages, ${e.conversations} conversations)` : '';
    phases.push(`${who}: ${e.phase}${counts}`);
  };
  bobPhone.on('historyTransfer', record("Bob's phone"));
  laptop.on('historyTransfer', record('new laptop'));

  const linking = await laptop.beginLink();
  await bobPhone.approveLink(linking.uri);
  await linking.complete();
  await bobPhone.poll(); // the laptop's request → archive built, uploaded, pointer sent to device #N only
  await laptop.poll(); // the pointer → download, verify, import
  console.log(`  ${phases.join(' → ')}`);
  const shown = await laptop.history(A);
  const all = await bobPhone.history(A);
  // Disappearing messages stay behind (they would outlive their timer on the new device).
  const onPhone = all.filter((m) => !((m.decoded.expireTimer?.seconds ?? 0) > 0));
  console.log(`  the new laptop (#${laptop.address.device}) shows ${shown.length} earlier messages with Alice (the phone holds ${all.length}; ${all.length - onPhone.length} disappearing message(s) stay behind), exactly as the phone stored them:`);
  for (const m of shown) {
    const who = m.direction === 'out' ? 'me → Alice' : 'Alice';
    const c = m.decoded;
    const body =
      c.reaction !== undefined ? `reacted ${c.reaction.emoji}`
      : c.delete !== undefined ? '🗑 message deleted'
      : c.expireTimer?.update === true ? `⏳ disappearing messages ${c.expireTimer.seconds > 0 ? `set to ${c.expireTimer.seconds} s` : 'turned off'}`
      : `${c.replyTo !== undefined ? '↪ ' : ''}${c.text ?? ''}${c.attachments?.length ? ` [${c.attachments[0]!.contentType}]` : ''}${c.extensions?.length ? ` [${c.extensions.map((e) => e.type).join(', ')}]` : ''}`;
    console.log(`    ${dim(new Date(m.timestamp).toISOString().slice(11, 23))} ${who}: ${body}`);
  }
  const same = shown.length === onPhone.length && shown.every((m, i) => Buffer.from(m.content).equals(Buffer.from(onPhone[i]!.content)) && m.timestamp === onPhone[i]!.timestamp);
  console.log(`  ${same ? green('✓ byte for byte') : 'DIFFERENT'}: content bytes, timestamps, senders and directions equal the phone's`);
  const pointer = uploads[0]!;
  const blob = readFileSync(join(ctx.blobDir, pointer.cdnKey));
  const texts = shown.map((m) => m.decoded.text).filter((t): t is string => t !== undefined && t.length > 0);
  const leaked = texts.filter((t) => blob.includes(Buffer.from(t)));
  console.log(`  archive blob ${pointer.cdnKey}: ${blob.length} B of ciphertext for ${pointer.size} B of history; ${leaked.length === 0 ? green(`✓ none of the ${texts.length} texts in it`) : `LEAKED ${leaked.length}`}; its key went only to the new laptop, inside the end-to-end encryption`);
  return laptop;
}
