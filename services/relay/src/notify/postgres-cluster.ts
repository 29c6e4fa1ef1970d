/**
 * What a relay instance on a shared PostgreSQL database needs besides its
 * envelope store: the LISTEN/NOTIFY notifier and the provisioning-mailbox
 * exchange (on the notifier's pool), ready to pass to `buildRelay`, which
 * closes both with the app.
 */
import { PostgresMailboxExchange } from '../provisioning/pg-mailbox-exchange.ts';
import { PostgresDeliveryNotifier, type PostgresNotifierOptions } from './pg-delivery-notifier.ts';

/** The `buildRelay` options of an instance on a shared PostgreSQL database. */
export interface PostgresClusterOptions {
  delivery: PostgresDeliveryNotifier;
  provisioningExchange: PostgresMailboxExchange;
}

/** Connects the notifier (rejects when PostgreSQL cannot be reached) and migrates the mailbox table. */
export async function openPostgresCluster(options: PostgresNotifierOptions): Promise<PostgresClusterOptions> {
  const delivery = new PostgresDeliveryNotifier(options);
  try {
    await delivery.start();
    const provisioningExchange = await PostgresMailboxExchange.open(delivery.pool);
    return { delivery, provisioningExchange };
  } catch (e) {
    await delivery.close();
    throw e;
  }
}
