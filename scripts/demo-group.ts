/**
 * The demo's group step (scripts/demo.ts): Alice makes a group of three with
 * Bob (phone and laptop) and Carol; messages go out as one sealed sender v2
 * send each (the relay splits it per device); Carol links a tablet, which
 * gets Alice's sender key before the next message and reads it; Alice
 * removes Carol, and Carol's devices cannot read what follows (the next
 * message is under a new sender key they never get).
 */
import type { SealpostClient } from '@sealpost/client';

export interface GroupStepContext {
  alice: SealpostClient;
  bobPhone: SealpostClient;
  bobLaptop: SealpostClient;
  /** A new client on its own SQLite file. */
  device: (file: string) => SealpostClient;
  /** Account (and group) display names. */
  names: Map<string, string>;
  /** Starts logging what `client` shows, under `label`. */
  watch: (client: SealpostClient, label: string) => void;
  /** Prints a step title (and the previous step's user and relay views). */
  step: (title: string) => void;
  /** Records a sent line in the user view. */
  sent: (label: string, text: string) => void;
  style: { dim: (s: string) => string; green: (s: string) => string };
}

/** Runs the step; returns the clients it made (for closing). */
export async function groupStep(ctx: GroupStepContext): Promise<SealpostClient[]> {
  const { alice, bobPhone, bobLaptop } = ctx;
  const { dim, green } = ctx.style;
  const everyone = () => [alice, bobPhone, bobLaptop, carol, ...(carolTablet === undefined ? [] : [carolTablet])];
  const pollAll = async () => {
    for (let round = 0; round < 8; round++) {
      let n = 0;
      for (const c of everyone()) n += await c.poll();
      if (n === 0) return;
    }
  };
  let carolTablet: SealpostClient | undefined;

  ctx.step('A group of three: Alice creates "Lunch crew" with Bob and Carol (membership is signed by Alice, delivered 1:1, end-to-end encrypted)');
  const carol = ctx.device('carol.db');
  await carol.register();
  const C = carol.address.account;
  ctx.names.set(C, 'Carol');
  ctx.watch(carol, 'Carol');
  for (const [a, b] of [[alice, carol], [carol, alice], [bobPhone, carol], [carol, bobPhone], [bobLaptop, carol]] as const) await a.addContact(b.contactCard());
  const group = await alice.groups.create({ title: 'Lunch crew', members: [bobPhone.address.account, C] });
  ctx.names.set(`group:${group.id}`, 'Lunch crew');
  console.log(`  group ${group.id.slice(0, 16)}…, epoch ${group.epoch}, state hash ${group.stateHash.slice(0, 16)}… (members compare it out of band)`);
  await pollAll();

  ctx.step('Alice writes to the group: one sender-key encryption, one multi-recipient send for all three other devices');
  const first = await alice.groups.send(group.id, { text: 'Noodles at 12:30, everyone?' });
  ctx.sent('Alice', 'Noodles at 12:30, everyone? [Lunch crew]');
  console.log(`  one SentMessage of ${first.sentMessageBytes} B for ${first.devices.length} devices (each first got Alice's sender key 1:1)`);
  await pollAll();
  await bobLaptop.groups.send(group.id, { text: 'In!' });
  ctx.sent('Bob (laptop)', 'In! [Lunch crew]');
  await pollAll();

  ctx.step("Carol links a tablet: Alice's next send finds the new device (409 from the relay), gives it her sender key, and it reads the message");
  carolTablet = ctx.device('carol-tablet.db');
  const linking = await carolTablet.beginLink();
  await carol.approveLink(linking.uri);
  await linking.complete();
  ctx.watch(carolTablet, 'Carol (tablet)');
  const second = await alice.groups.send(group.id, { text: 'Carol, your tablet is in the group too.' });
  ctx.sent('Alice', 'Carol, your tablet is in the group too. [Lunch crew]');
  console.log(`  sealed for ${second.devices.length} devices, Carol's tablet (#${carolTablet.address.device}) among them`);
  await pollAll();

  ctx.step('Alice removes Carol: epoch 1; every member rotates to a new sender key before its next send; Carol cannot read what follows');
  const carolDevices = [carol, carolTablet];
  const historyOf = async () => Promise.all(carolDevices.map(async (c) => (await c.groups.history(group.id)).length));
  const carolBefore = await historyOf();
  await alice.groups.removeMembers(group.id, [C]);
  await pollAll();
  console.log(`  Carol's view: member = ${(await carol.groups.get(group.id))?.isMember}, epoch ${(await carol.groups.get(group.id))?.epoch}`);
  await alice.groups.send(group.id, { text: 'Surprise party for Carol on Friday!' });
  ctx.sent('Alice', 'Surprise party for Carol on Friday! [Lunch crew]');
  await bobPhone.groups.send(group.id, { text: "I'll bring the cake." });
  ctx.sent('Bob (phone)', "I'll bring the cake. [Lunch crew]");
  await pollAll();
  const distribution = (await alice.store.groups.get(group.id))!.distributionId!;
  const carolKeys = await Promise.all(carolDevices.map((c) => c.store.senderKeys.load(alice.address, distribution)));
  const carolAfter = await historyOf();
  const unchanged = carolAfter.every((n, i) => n === carolBefore[i]);
  console.log(
    `  ${carolKeys.every((k) => k === undefined) && unchanged ? green('✓') : '✗ FAILED:'} Carol's devices got no message after the removal ` +
      `and hold no key of Alice's new distribution ${distribution.slice(0, 8)}…`,
  );
  console.log(dim('  (the relay rows of a group send start 22…: sealed sender v2, split per device from one upload)'));
  return [carol, carolTablet];
}
