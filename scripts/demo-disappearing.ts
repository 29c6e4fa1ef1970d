/**
 * The demo's disappearing-messages step (scripts/demo.ts): Bob sets a
 * one-minute timer from his phone — a visible event on every device of both
 * sides; Alice's next message carries it; Bob's phone reads it, which starts
 * the countdown; a second handle on the phone's database with the clock 61 s
 * ahead (the client's injectable clock: no waiting) sweeps it away, and the
 * phone's SQLite file and WAL no longer hold the text (secure_delete, WAL
 * truncated). Bob then turns the timer off again.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { SealpostClient } from '@sealpost/client';

export interface DisappearingStepContext {
  alice: SealpostClient;
  bobPhone: SealpostClient;
  bobLaptop: SealpostClient;
  /** Another client on an existing SQLite file of the demo, with clock `now`. */
  reopen: (file: string, now: () => number) => SealpostClient;
  /** The path of a demo SQLite file. */
  path: (file: string) => string;
  names: Map<string, string>;
  step: (title: string) => void;
  sent: (label: string, text: string) => void;
  style: { dim: (s: string) => string; green: (s: string) => string };
}

const clock = (t: number) => new Date(t).toISOString().slice(11, 19);

/** The raw bytes of a SQLite file and its WAL. */
function onDisk(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`].filter(existsSync).map((f) => readFileSync(f)));
}

export async function disappearingStep(ctx: DisappearingStepContext): Promise<void> {
  const { alice, bobPhone, bobLaptop, names } = ctx;
  const { dim, green } = ctx.style;
  const A = alice.address.account;
  const B = bobPhone.address.account;
  const labels = new Map<SealpostClient, string>([[alice, 'Alice'], [bobPhone, 'Bob (phone)'], [bobLaptop, 'Bob (laptop)']]);
  const listeners: (() => void)[] = [];
  for (const [client, label] of labels) {
    const show = (e: { seconds: number; by: string }) => console.log(`  ${label}: ⏳ disappearing messages ${e.seconds === 0 ? 'turned off' : `set to ${e.seconds} s`} by ${names.get(e.by) ?? e.by}`);
    client.on('disappearingTimer', show);
    listeners.push(() => client.off('disappearingTimer', show));
  }
  const pollAll = async () => {
    for (let round = 0; round < 4; round++) {
      let n = 0;
      for (const c of labels.keys()) n += await c.poll();
      if (n === 0) return;
    }
  };

  ctx.step('Disappearing messages: Bob sets a 1-minute timer on his phone (a visible event on every device; carried in every message)');
  await bobPhone.setDisappearingTimer(A, 60);
  await pollAll();
  const secret = 'The door code is 4711.';
  const sent = await alice.send(B, { text: secret });
  ctx.sent('Alice', `Bob: ${secret}`);
  console.log(`  Alice's message carries expire_timer = ${sent.content.expireTimer?.seconds} s (version ${sent.content.expireTimer?.version}); her own copy goes at ${clock((await alice.disappearing.expiresAt(sent.id))!)}`);
  await pollAll();
  const read = await bobPhone.markRead(A);
  const row = read.messages.find((m) => m.timestamp === sent.content.timestamp)!;
  const expiresAt = (await bobPhone.disappearing.expiresAt(row.id))!;
  console.log(`  Bob's phone reads it at ${clock(read.now)}: the countdown starts now, it goes at ${clock(expiresAt)} (his laptop has not read it yet)`);
  const before = onDisk(ctx.path('bob-phone.db')).includes(secret);
  // The same phone database, seen 61 s later (an injected clock instead of waiting).
  const later = ctx.reopen('bob-phone.db', () => Date.now() + 61_000);
  await later.ready();
  const swept = await later.disappearing.sweep();
  const gone = (await later.store.history.get(row.id)) === undefined;
  await later.close();
  const after = onDisk(ctx.path('bob-phone.db')).includes(secret);
  console.log(
    `  ${swept.ids.includes(row.id) && gone && before && !after ? green('✓') : '✗ FAILED:'} 61 s later the phone deleted it (${swept.ids.length} message(s)); ` +
      `bob-phone.db + WAL held the text before: ${before}, after: ${after} (secure_delete, WAL truncated)`,
  );
  await bobPhone.setDisappearingTimer(A, 0);
  await pollAll();
  console.log(dim('  (the timer and the pending deletions are in each store: they survive restarts; the sweeper runs on start)'));
  for (const off of listeners) off();
}
