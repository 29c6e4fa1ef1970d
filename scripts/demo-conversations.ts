/**
 * The demo's conversations step (scripts/demo.ts): Bob's phone lists his
 * conversations (1:1 and the group) with unread counts and last messages,
 * searches his history (his laptop: SQLite FTS5), pages it with a cursor;
 * then he reads Alice's messages on the phone: ONE read receipt goes to
 * each of Alice's devices and a read sync to his laptop, which then shows 0
 * unread (and sends no receipt of its own). Then he switches read receipts
 * off: the next read sends none.
 */
import type { SealpostClient } from '@sealpost/client';

export interface ConversationsStepContext {
  alice: SealpostClient;
  bobPhone: SealpostClient;
  bobLaptop: SealpostClient;
  /** Account (and group) display names. */
  names: Map<string, string>;
  /** Prints a step title (and the previous step's user and relay views). */
  step: (title: string) => void;
  style: { dim: (s: string) => string; green: (s: string) => string };
}

const short = (t: string | undefined, n = 34) => (t === undefined || t === '' ? '(no text)' : t.length > n ? `${t.slice(0, n - 1)}…` : t);

/** Runs the step. */
export async function conversationsStep(ctx: ConversationsStepContext): Promise<void> {
  const { alice, bobPhone, bobLaptop, names } = ctx;
  const { dim, green } = ctx.style;
  const A = alice.address.account;
  ctx.step("Conversations: Bob's list with unread counts, search, history pages; reading on his phone sends Alice one read receipt and syncs his laptop");
  console.log("  Bob's phone, newest first (summaries kept by the store with every message; no history scan):");
  for (const c of await bobPhone.conversations.list()) {
    console.log(`    ${(names.get(c.peer) ?? c.peer.slice(0, 12)).padEnd(12)} ${String(c.unread).padStart(2)} unread   last: "${short(c.lastMessage.decoded.text)}"`);
  }
  const hits = await bobLaptop.conversations.search('noodle');
  console.log(`  search "noodle" on Bob's laptop (SQLite FTS5, ranked): ${hits.map((h) => `"${h.snippet}"`).join(', ')}`);
  const first = await bobPhone.conversations.history(A, { limit: 3 });
  const second = await bobPhone.conversations.history(A, { limit: 3, before: first.next! });
  console.log(`  history with Alice, newest first, 3 a page: ${first.messages.map((m) => `"${short(m.decoded.text, 20)}"`).join(', ')} | next page: ${second.messages.map((m) => `"${short(m.decoded.text, 20)}"`).join(', ')}`);

  const aliceStored = await alice.store.history.count();
  const read = await bobPhone.conversations.markRead(A);
  console.log(`  Bob reads Alice's messages on his phone: ${read.messages.length} marked read → one read receipt to each of Alice's devices, one read sync to his laptop ${dim('(rows below)')}`);
  await alice.poll();
  await bobLaptop.poll();
  const laptopUnread = await bobLaptop.conversations.unread(A);
  const aliceExtra = (await alice.store.history.count()) - aliceStored;
  console.log(`  ${laptopUnread === 0 ? green('✓') : '✗'} Bob's laptop: ${laptopUnread} unread with Alice after the read sync (it sent no receipt itself)`);
  console.log(`  ${aliceExtra === 0 ? green('✓') : '✗'} Alice's client took the receipt in and stored ${aliceExtra} chat messages for it`);

  await bobPhone.conversations.setReadReceipts(false);
  await alice.send(bobPhone.address.account, { text: 'Read receipts off? Fine 🙂' });
  await bobPhone.poll();
  await bobLaptop.poll();
  await bobPhone.conversations.markRead(A);
  await bobLaptop.poll();
  console.log(`  read receipts switched off on Bob's phone: reading Alice's next message sent Alice nothing, only the read sync (laptop: ${await bobLaptop.conversations.unread(A)} unread)`);
}
