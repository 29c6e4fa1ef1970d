/**
 * `npx tsx scripts/bench/group-send-client.ts [members] [rounds]`: a group
 * message through the client and the relay (sender-key encryption, one
 * sealed sender v2 upload, `multi_recipient`) against the same text sent
 * 1:1 to every member (one Double Ratchet step and sealed sender v1
 * envelope per device, one PUT per account), both on established sessions,
 * in this one process against local services. Prints a Markdown table:
 * median send time and bytes handed to the relay per message.
 */
import { newTestClient, startLocalServices } from '@sealpost/devkit/services';
import type { SealpostClient } from '@sealpost/client';

const members = Number(process.argv[2] ?? 16);
const rounds = Number(process.argv[3] ?? 9);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const services = await startLocalServices();
try {
  const client = () => newTestClient(services, { upkeep: { automatic: false, batchSize: 4, minimumCount: 1 } });
  const alice = client();
  const others: SealpostClient[] = Array.from({ length: members }, client);
  await alice.register();
  for (const c of others) {
    await c.register();
    await alice.addContact(c.contactCard());
    await c.addContact(alice.contactCard());
  }
  const group = await alice.groups.create({ members: others.map((c) => c.address.account) });
  let bytes = 0;
  alice.on('relaySend', (views) => (bytes += views.reduce((n, v) => n + v.bytes, 0)));
  // Warm both paths: every member holds alice's sender key, and every session has seen a reply (no PreKey messages).
  await alice.groups.send(group.id, { text: 'warm-up' });
  for (const c of others) await alice.send(c.address.account, { text: 'warm-up' });
  for (const c of others) {
    await c.poll();
    await c.send(alice.address.account, { text: 'reply' });
  }
  await alice.poll();
  const measure = async (send: () => Promise<unknown>) => {
    const times: number[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      bytes = 0;
      const t = performance.now();
      await send();
      times.push(performance.now() - t);
      sizes.push(bytes);
    }
    return { ms: median(times), bytes: median(sizes) };
  };
  const text = 'Noodles at 12:30, everyone?';
  const grouped = await measure(() => alice.groups.send(group.id, { text }));
  const pairwise = await measure(async () => {
    for (const c of others) await alice.send(c.address.account, { text });
  });
  console.log(`| ${members} members × 1 device | group send (sender key + SSv2 multi_recipient) | 1:1 to each member | ratio |`);
  console.log('|---|---|---|---|');
  console.log(`| median time per message | ${grouped.ms.toFixed(1)} ms | ${pairwise.ms.toFixed(1)} ms | ${(pairwise.ms / grouped.ms).toFixed(1)}× |`);
  console.log(`| bytes handed to the relay | ${grouped.bytes} B | ${pairwise.bytes} B | ${(pairwise.bytes / grouped.bytes).toFixed(1)}× |`);
  for (const c of [alice, ...others]) await c.close();
} finally {
  await services.close();
}
