/**
 * Peer: @signalapp/libsignal-client 0.90.0 (Rust via N-API), used the way an
 * app uses it: every step goes through the async store interface and
 * messages cross as serialized bytes. The device and its in-memory stores are
 * the dev kit's `LibsignalPeer` (the interop tests' peer), keeping live
 * record objects as a caching store does; Kyber prekeys are last-resort
 * (never removed), as a server hands out when one-time ones run dry.
 *
 * AGPL — this file is a benchmark, never imported from src/.
 */
import { PreKeyBundle, ProtocolAddress, SessionRecord, processPreKeyBundle } from '@signalapp/libsignal-client';
import { LibsignalPeer, toLibsignalBundle, type WireMessage } from '@sealpost/devkit/libsignal';
import { ALL_SCENARIOS, type Conversation, type Implementation, type Side } from './contract.ts';

const HELLO = new TextEncoder().encode('hello');

function party(name: string, registrationId: number): LibsignalPeer {
  return new LibsignalPeer({ name, registrationId, keeping: 'live' });
}

/** A bundle with a fresh one-time prekey and the party's last-resort signed + Kyber prekeys, as libsignal's type. */
function bundleOf(peer: LibsignalPeer): PreKeyBundle {
  return toLibsignalBundle(peer.generateBundle({ withOneTimePreKey: true, lastResort: true }));
}

/** Two parties after the full handshake (Alice → Bob prekey message, Bob's reply decrypted). */
async function handshake(): Promise<{ alice: LibsignalPeer; bob: LibsignalPeer }> {
  const alice = party('alice', 1111);
  const bob = party('bob', 2222);
  await alice.processBundle(bob.address, bundleOf(bob));
  await bob.decrypt(alice.address, await alice.encrypt(bob.address, HELLO));
  await alice.decrypt(bob.address, await bob.encrypt(alice.address, HELLO));
  return { alice, bob };
}

/** Builds the libsignal-client implementation. */
export function libsignalClient(): Implementation {
  let setupAlice: LibsignalPeer | undefined;
  let setupBob: LibsignalPeer | undefined;
  let bundles: PreKeyBundle[] = [];

  return {
    name: 'libsignal-client',
    description:
      '@signalapp/libsignal-client 0.90.0: Rust core via N-API, PQXDH (Kyber1024), async in-memory stores; two libsignal peers also run SPQR (its state is ~350 B of each record)',
    supports: ALL_SCENARIOS,

    async establish(): Promise<Conversation> {
      const { alice, bob } = await handshake();
      const of = (side: Side): LibsignalPeer => (side === 'alice' ? alice : bob);
      const peerAddress = (side: Side): ProtocolAddress => (side === 'alice' ? bob.address : alice.address);
      return {
        send: (from, plaintext) => of(from).encrypt(peerAddress(from), plaintext),
        receive: (to, message) => of(to).decrypt(peerAddress(to), message as WireMessage),
        recordBytes: (side) => of(side).sessionStore.rawSession(peerAddress(side))!,
      };
    },

    async prepareSetups(count: number): Promise<void> {
      setupAlice = party('alice', 1111);
      setupBob = party('bob', 2222);
      bundles = [];
      for (let i = 0; i < count; i++) bundles.push(bundleOf(setupBob));
    },

    async setupOnce(index: number): Promise<void> {
      const alice = setupAlice!;
      const bob = setupBob!;
      // A fresh address per setup so each is a new session, not an archive of the last.
      const bobAddress = ProtocolAddress.new(`bob-${index}`, 1);
      const aliceAddress = ProtocolAddress.new(`alice-${index}`, 1);
      await processPreKeyBundle(bundles[index]!, bobAddress, alice.sessionStore, alice.identityStore);
      const plaintext = await bob.decrypt(aliceAddress, await alice.encrypt(bobAddress, HELLO));
      if (plaintext.length !== HELLO.length) throw new Error('libsignal-client setup: wrong plaintext');
    },

    async holdSessions(count: number): Promise<unknown[]> {
      const { alice, bob } = await handshake();
      // Each held record is its own native object, as a store that caches records keeps them.
      const bytes = alice.sessionStore.rawSession(bob.address)!;
      const held: SessionRecord[] = [];
      for (let i = 0; i < count; i++) held.push(SessionRecord.deserialize(bytes));
      return held;
    },
  };
}
