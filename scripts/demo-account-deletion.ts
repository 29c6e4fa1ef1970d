/**
 * The demo's account-deletion step (scripts/demo.ts): Carol deletes her
 * account (`client.deleteAccount()`: her relay queues and access key, then
 * her keys and devices at the key server, then her local store). Her
 * tablet is refused from then on, and Alice's next message to her fails
 * cleanly with `ACCOUNT_DELETED` and a `contactDeleted` event — nothing is
 * left in Alice's outbox to retry.
 */
import { isAccountDeleted, type SealpostClient } from '@sealpost/client';

export interface AccountDeletionStepContext {
  alice: SealpostClient;
  /** Carol's primary device (the group step's), and her linked tablet. */
  carol: SealpostClient;
  carolTablet: SealpostClient;
  keyServerUrl: string;
  /** Prints a step title (and the previous step's user and relay views). */
  step: (title: string) => void;
  style: { dim: (s: string) => string; green: (s: string) => string };
}

export async function accountDeletionStep(ctx: AccountDeletionStepContext): Promise<void> {
  const { alice, carol, carolTablet } = ctx;
  const { dim, green } = ctx.style;
  const C = carol.address.account;
  const ok = (good: boolean) => (good ? green('✓') : '✗ FAILED:');

  ctx.step('Carol deletes her account: relay queues and access key, then keys and devices at the key server, then her local store');
  await carol.deleteAccount();
  const list = await fetch(`${ctx.keyServerUrl}/v1/accounts/${C}/devices`);
  const code = ((await list.json()) as { error?: { code?: string } }).error?.code;
  console.log(`  ${ok(list.status === 410 && code === 'ACCOUNT_DELETED')} the key server answers Carol's device list with ${list.status} ${code}`);
  // The key server refuses the tablet's credentials at once; the relay within its 1 s authorization window.
  const tablet = await carolTablet.devices().then(
    () => 'still listed',
    (e: unknown) => (isAccountDeleted(e) ? 'ACCOUNT_DELETED' : String(e)),
  );
  console.log(`  ${ok(tablet === 'ACCOUNT_DELETED')} Carol's tablet is refused by the key server: ${tablet} (and by the relay within 1 s)`);

  ctx.step("Alice writes to Carol: her client gets a typed error and a contactDeleted event, and keeps nothing to retry");
  const deleted: string[] = [];
  alice.on('contactDeleted', (e) => deleted.push(e.account));
  const outcome = await alice.send(C, { text: 'Carol, are you coming?' }).then(
    () => 'delivered',
    (e: unknown) => (isAccountDeleted(e) ? `${e.code} (${e.service} ${e.status})` : String(e)),
  );
  const outbox = (await alice.store.outbox.batches()).length;
  console.log(`  ${ok(outcome.startsWith('ACCOUNT_DELETED') && deleted.includes(C) && outbox === 0)} Alice's send failed cleanly: ${outcome}; contactDeleted fired; outbox ${outbox}`);
  console.log(dim('  (the relay stored nothing for Carol: her queues were purged, and sends to her are refused before anything is queued)'));
}
