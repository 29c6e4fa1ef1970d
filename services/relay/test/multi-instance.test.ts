/**
 * Two relay instances on one database: a send accepted by one reaches a
 * socket held by the other as soon as a `DeliveryNotifier` links them (here
 * an in-memory stand-in for PostgreSQL LISTEN/NOTIFY or Redis), and an access
 * key registered through one is honoured by the other.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { DeliveryHub, type DeliveryNotifier } from '../src/index.ts';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

/** Notifiers whose `notify` also wakes the same device's listeners on every other linked instance. */
function linkedNotifiers(n: number): DeliveryNotifier[] {
  const hubs = Array.from({ length: n }, () => new DeliveryHub());
  return hubs.map((own) => ({
    subscribe: (accountId, deviceId, listener) => own.subscribe(accountId, deviceId, listener),
    notify: (accountId, deviceId, committed) => {
      own.notify(accountId, deviceId, committed);
      for (const other of hubs) if (other !== own) other.wake(accountId, deviceId);
    },
  }));
}

const running: RelayHarness[] = [];
afterEach(async () => {
  // The second instance first: the first owns the database directory.
  for (const h of running.reverse()) await h.close();
  running.length = 0;
});

describe('two relay instances on one database', () => {
  it('push reaches a socket on the other instance; access keys are shared', async () => {
    const [na, nb] = linkedNotifiers(2) as [DeliveryNotifier, DeliveryNotifier];
    const a = await startRelay({ delivery: na });
    running.push(a);
    const b = await startRelay({ delivery: nb, dbPath: a.dbPath, devices: a.directory, verifyCredential: a.verifyCredential });
    running.push(b);
    const id = newAccountId();
    a.directory.accounts.set(id, [{ deviceId: 1, registrationId: 7 }]);
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    expect((await a.client.setAccessKey(id, a.credential(id, 1), accessKey)).status).toBe(204);

    const socket = await b.client.connect(a.credential(id, 1), { autoAck: true });
    await socket.waitFor(() => socket.queueEmpty);
    // Accepted by A while the socket on B is idle and caught up: only the notifier can wake it.
    expect((await a.client.send(id, accessKey, [{ deviceId: 1, registrationId: 7, content: fakeSealed(1) }])).status).toBe(200);
    await socket.waitFor(() => socket.received.length === 1, 2_000);
    // Accepted by B with the key registered through A.
    expect((await b.client.send(id, accessKey, [{ deviceId: 1, registrationId: 7, content: fakeSealed(2) }])).status).toBe(200);
    await socket.waitFor(() => socket.received.length === 2, 2_000);
    expect(socket.received.map((e) => e.content)).toEqual([fakeSealed(1), fakeSealed(2)]);
    await socket.close();
  });
});
