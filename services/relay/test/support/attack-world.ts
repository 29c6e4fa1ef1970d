/**
 * The set-up of the relay attack tests (frame fuzzing, frame floods): a
 * world (key server in process, relay as a child process), a victim `bob`
 * whose witness connection stays open and keeps receiving throughout, and
 * the attacker `mallory` — a registered device, since the relay checks every
 * credential against the key server's device list.
 */
import type { RelaySocket } from './relay-client.ts';
import { startWorld, type Account, type World } from './world.ts';

export interface AttackWorld {
  world: World;
  bob: Account;
  mallory: Account;
  witness: RelaySocket;
  close(): Promise<void>;
}

export async function startAttackWorld(): Promise<AttackWorld> {
  const world = await startWorld();
  const bob = await world.newAccount(1, 'ours');
  const mallory = await world.newAccount(1, 'ours');
  const witness = await world.client.connect(bob.devices[0]!.relayToken, { autoAck: true });
  await witness.waitFor(() => witness.queueEmpty);
  return {
    world,
    bob,
    mallory,
    witness,
    close: async () => {
      await witness.close();
      await world.close();
    },
  };
}
