/**
 * The demo's receipts step (scripts/demo.ts): Bob's phone and laptop send
 * the delivery receipts they owe (queued in their stores when each message
 * was stored; one batched receipt per author and device), Alice's client
 * shows ✓✓ per message and per Bob device; Bob's phone sends a read
 * receipt; Bob's laptop types (a repeated STARTED is coalesced) and stops.
 * Neither receipts nor typing indicators become messages.
 */
import type { ReceiptEvent, SealpostClient, TypingEvent } from '@sealpost/client';

export interface ReceiptsStepContext {
  alice: SealpostClient;
  bobPhone: SealpostClient;
  bobLaptop: SealpostClient;
  /** Account display names. */
  names: Map<string, string>;
  /** Prints a step title (and the previous step's user and relay views). */
  step: (title: string) => void;
  style: { dim: (s: string) => string; green: (s: string) => string };
}

/** Runs the step. */
export async function receiptsStep(ctx: ReceiptsStepContext): Promise<void> {
  const { alice, bobPhone, bobLaptop, names } = ctx;
  const { dim, green } = ctx.style;
  const A = alice.address.account;
  const B = bobPhone.address.account;
  const device = (d: { account: string; device: number }) => `${names.get(d.account) ?? d.account}#${d.device}`;
  const received: ReceiptEvent[] = [];
  const typing: TypingEvent[] = [];
  alice.on('receipt', (e) => received.push(e));
  alice.on('typing', (e) => typing.push(e));

  ctx.step("Receipts: Bob's devices send the delivery receipts they owe, Bob reads, Bob types");
  for (const [label, d] of [['phone', bobPhone], ['laptop', bobLaptop]] as const) {
    const owed = await d.store.receipts.pendingDeliveries();
    const authors = new Set(owed.map((p) => p.author));
    const sent = await d.receipts.flush();
    console.log(`  Bob (${label}) owed ${owed.length} delivery receipts (queued in the same transaction that stored each message): sent as ${sent} receipt(s), one per author (${authors.size})`);
  }
  const historyBefore = await alice.store.history.count();
  await alice.poll();
  console.log(`  Alice got ${received.length} receipts (every device of hers gets them: they go to her account)`);
  const mine = (await alice.history(B)).filter((m) => m.direction === 'out' && m.decoded.text !== undefined);
  const show = async (label: string) => {
    console.log(`  Alice's ticks ${label}:`);
    for (const m of mine) {
      const status = await alice.receipts.status({ author: A, timestamp: m.timestamp });
      const read = status.readBy.length > 0;
      const marks = read ? green('✓✓ read') : status.deliveredTo.length > 0 ? '✓✓' : '✓';
      const who = read ? `read by ${status.readBy.map(device).join(', ')}` : `delivered to ${status.deliveredTo.map(device).join(', ')}`;
      console.log(`    ${marks} "${m.decoded.text}"  ${dim(who)}`);
    }
  };
  await show('after the delivery receipts');

  const readRefs = mine.slice(0, 2).map((m) => ({ author: A, timestamp: m.timestamp }));
  await bobPhone.receipts.send(A, 'read', readRefs);
  await alice.poll();
  await show("after Bob's phone sent a read receipt for the first two");

  let calls = 0;
  let envelopes = 0;
  const count = (batch: unknown[]) => (envelopes += batch.length);
  bobLaptop.on('relaySend', count);
  for (let i = 0; i < 3; i++) {
    calls++;
    await bobLaptop.typing(A, 'started');
  }
  bobLaptop.off('relaySend', count);
  console.log(`  Bob's laptop: typing started ×${calls} within a second → ${envelopes} envelope (at most one STARTED per 3 s per conversation)`);
  await alice.poll();
  const t = typing.at(-1);
  if (t !== undefined) console.log(`  Alice sees: ${names.get(t.from.account)} is typing… (stale at ${new Date(t.expiresAt ?? 0).toISOString().slice(11, 23)} unless refreshed)`);
  await bobLaptop.typing(A, 'stopped');
  await alice.poll();
  console.log(`  Alice sees: ${typing.at(-1)?.action === 'stopped' ? 'Bob stopped typing' : '?'}; typing now: [${alice.receipts.typingNow(B).map(device).join(', ')}]`);
  const historyAfter = await alice.store.history.count();
  console.log(`  ${historyAfter === historyBefore ? green('✓') : 'FOUND'} receipts and typing are not messages: Alice's history still holds ${historyAfter} messages`);
}
