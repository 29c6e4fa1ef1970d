/**
 * The demo's edits step (scripts/demo.ts; issue 18, part "edit"): Bob edits
 * a message from his phone (Alice and his laptop show the new text,
 * "(edited)", and keep the old one in the edit history), deletes another for
 * everyone (a tombstone replaces it everywhere; the text is gone from the
 * stores), and Alice's app sends a poll as an app-defined extension that
 * arrives byte for byte.
 */
import type { SealpostClient } from '@sealpost/client';

export interface EditsStepContext {
  alice: SealpostClient;
  bobPhone: SealpostClient;
  bobLaptop: SealpostClient;
  /** Prints a step title (and the previous step's user and relay views). */
  step: (title: string) => void;
  /** Records a line in `label`'s user view. */
  show: (label: string, line: string) => void;
  style: { dim: (s: string) => string; green: (s: string) => string };
}

/** Runs the step. */
export async function editsStep(ctx: EditsStepContext): Promise<void> {
  const { alice, bobPhone, bobLaptop, show } = ctx;
  const { dim, green } = ctx.style;
  const A = alice.address.account;
  const B = bobPhone.address.account;
  const everyone = [alice, bobPhone, bobLaptop];
  const pollAll = async () => {
    for (let round = 0; round < 4; round++) {
      let n = 0;
      for (const c of everyone) n += await c.poll();
      if (n === 0) return;
    }
  };
  const labels: [SealpostClient, string][] = [[alice, 'Alice'], [bobPhone, 'Bob (phone)'], [bobLaptop, 'Bob (laptop)']];
  const off: (() => void)[] = [];
  for (const [c, label] of labels) {
    const edited = (e: { newText: string }) => show(label, `✎ (edited) ${e.newText}`);
    const deleted = () => show(label, '🗑 message deleted');
    const extension = (m: { content: { extensions?: { type: string; data: Uint8Array }[] } }) => {
      for (const x of m.content.extensions ?? []) show(label, `⧉ ${x.type} (${x.data.length} B): ${new TextDecoder().decode(x.data)}`);
    };
    off.push(c.on('edited', edited), c.on('deletedForEveryone', deleted), c.on('message', extension));
  }

  ctx.step('Bob edits a message and deletes another for everyone (only the author may, within 24 h; each device checks)');
  const typo = await bobPhone.send(A, { text: 'Running 5 minutes lat' });
  const oops = await bobPhone.send(A, { text: 'my door code is 4711' });
  show('Bob (phone)', dim('me → Alice: Running 5 minutes lat'));
  show('Bob (phone)', dim('me → Alice: my door code is 4711'));
  await pollAll();
  await bobPhone.edit(A, typo.ref, 'Running 5 minutes late');
  await bobPhone.deleteForEveryone(A, oops.ref);
  await pollAll();
  const versions = await alice.editHistory(B, typo.ref);
  console.log(`  Alice's edit history of it: ${versions.map((v) => `"${v.text}"`).join(', ')} → now "Running 5 minutes late"`);
  const stored = await alice.history(B);
  const codeLeft = stored.some((m) => Buffer.from(m.content).includes(Buffer.from('4711')));
  console.log(`  ${codeLeft ? 'FOUND the door code in Alice\'s store' : green('✓ the door code is gone from Alice\'s store')} (tombstone; SQLite secure_delete overwrote it)`);
  const forged = await alice.edit(B, typo.ref, 'hacked').then(() => 'sent', (e: { code?: string }) => e.code);
  console.log(`  Alice trying to edit Bob's message: ${forged} (receivers refuse a non-author's edit the same way)`);

  ctx.step('An app-defined payload: Alice\'s app sends a poll as an extension (type name + bytes the SDK delivers untouched)');
  const poll = new TextEncoder().encode(JSON.stringify({ q: 'Dessert?', options: ['mochi', 'none'] }));
  await alice.send(B, { text: 'Quick poll', extensions: [{ type: 'com.example.poll', data: poll }] });
  show('Alice', dim('me → Bob: Quick poll [com.example.poll]'));
  await pollAll();
  const got = (await bobLaptop.history(A)).at(-1)?.decoded.extensions?.[0];
  console.log(`  Bob's laptop stored ${got?.type} with ${got?.data.length} B, ${got !== undefined && Buffer.from(got.data).equals(Buffer.from(poll)) ? green('✓ byte for byte') : 'CHANGED'}`);
  for (const f of off) f();
}
