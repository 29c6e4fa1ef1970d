/**
 * Peers: @signalapp/libsignal-client (Rust via N-API), used the way an app
 * uses it: every step goes through the async store interface and messages
 * cross as serialized bytes. One harness, parametrized by the device it
 * drives: column `libsignal-client` is 0.90.0 through the dev kit's
 * `LibsignalPeer` (the interop tests' peer); column `libsignal-client-0103`
 * is 0.103.0 through libsignal-0103-peer.ts. Both keep live record objects as
 * a caching store does; Kyber prekeys are last-resort (never removed), as a
 * server hands out when one-time ones run dry. Two libsignal peers always run
 * SPQR (0.90 negotiates it, 0.103 requires it).
 *
 * AGPL — this file is a benchmark, never imported from src/.
 */
import { PreKeyBundle, ProtocolAddress, SessionRecord } from '@signalapp/libsignal-client';
import { LibsignalPeer, toLibsignalBundle, type WireMessage } from '@sealpost/devkit/libsignal';
import { ALL_SCENARIOS, type Conversation, type Implementation, type Side } from './contract.ts';
import type * as Ls0103 from '@signalapp/libsignal-client-0103';
import { Libsignal0103Peer, serviceIdName } from './libsignal-0103-peer.ts';

const HELLO = new TextEncoder().encode('hello');

/**
 * What the harness needs of one libsignal device, whichever version. `as` is
 * the local address (0.103 passes it to libsignal; 0.90 has no such argument
 * and ignores it).
 */
export interface LibsignalDevice<A, B> {
  readonly address: A;
  /** An address of another (remote or per-setup local) name. */
  addressFor(name: string): A;
  /** A bundle with a fresh one-time prekey and the device's last-resort signed + Kyber prekeys. */
  bundle(): B;
  processBundle(remote: A, bundle: B, as?: A): Promise<void>;
  encrypt(remote: A, plaintext: Uint8Array, as?: A): Promise<WireMessage>;
  decrypt(remote: A, message: WireMessage, as?: A): Promise<Uint8Array>;
  /** The serialized session record with `remote`. */
  rawSession(remote: A): Uint8Array;
  /** A record deserialized into its own native object, as a caching store holds it. */
  holdRecord(bytes: Uint8Array): unknown;
}

/** One libsignal version: its column name, legend line and device factory. */
interface LibsignalVersion<A, B> {
  readonly name: string;
  readonly description: string;
  /** role 0 = Alice, 1 = Bob; `index` names per-setup parties. */
  device(role: 0 | 1): LibsignalDevice<A, B>;
  /** The address name of `role`'s party in setup `index`. */
  setupName(role: 0 | 1, index: number): string;
}

/** 0.90.0 through the dev kit's LibsignalPeer. */
class Libsignal090Device implements LibsignalDevice<ProtocolAddress, PreKeyBundle> {
  private readonly peer: LibsignalPeer;
  constructor(name: string, registrationId: number) {
    this.peer = new LibsignalPeer({ name, registrationId, keeping: 'live' });
  }
  get address(): ProtocolAddress {
    return this.peer.address;
  }
  addressFor(name: string): ProtocolAddress {
    return ProtocolAddress.new(name, 1);
  }
  bundle(): PreKeyBundle {
    return toLibsignalBundle(this.peer.generateBundle({ withOneTimePreKey: true, lastResort: true }));
  }
  processBundle(remote: ProtocolAddress, bundle: PreKeyBundle): Promise<void> {
    return this.peer.processBundle(remote, bundle);
  }
  encrypt(remote: ProtocolAddress, plaintext: Uint8Array): Promise<WireMessage> {
    return this.peer.encrypt(remote, plaintext);
  }
  decrypt(remote: ProtocolAddress, message: WireMessage): Promise<Uint8Array> {
    return this.peer.decrypt(remote, message);
  }
  rawSession(remote: ProtocolAddress): Uint8Array {
    return this.peer.sessionStore.rawSession(remote)!;
  }
  holdRecord(bytes: Uint8Array): unknown {
    return SessionRecord.deserialize(bytes as Uint8Array<ArrayBuffer>);
  }
}

const REGISTRATION_IDS = [1111, 2222] as const;

const V090: LibsignalVersion<ProtocolAddress, PreKeyBundle> = {
  name: 'libsignal-client',
  description:
    '@signalapp/libsignal-client 0.90.0: Rust core via N-API, PQXDH (Kyber1024), async in-memory stores; two libsignal peers also run SPQR (its state is ~350 B of each record)',
  device: (role) => new Libsignal090Device(role === 0 ? 'alice' : 'bob', REGISTRATION_IDS[role]),
  setupName: (role, index) => `${role === 0 ? 'alice' : 'bob'}-${index}`,
};

const V0103: LibsignalVersion<Ls0103.ProtocolAddress, Ls0103.PreKeyBundle> = {
  name: 'libsignal-client-0103',
  description:
    '@signalapp/libsignal-client 0.103.0 (npm alias @signalapp/libsignal-client-0103): as the 0.90 column, with SPQR required, ServiceId addresses and `localAddress` arguments (PreKey messages carry SignalMessage.addresses)',
  device: (role) => new Libsignal0103Peer(serviceIdName(role + 1, 0), REGISTRATION_IDS[role]),
  setupName: (role, index) => serviceIdName(role + 1, index + 1),
};

/** Builds the harness for one libsignal version. */
function libsignalHarness<A, B>(version: LibsignalVersion<A, B>): Implementation {
  type Device = LibsignalDevice<A, B>;
  let setupAlice: Device | undefined;
  let setupBob: Device | undefined;
  let bundles: B[] = [];

  /** Two parties after the full handshake (Alice → Bob prekey message, Bob's reply decrypted). */
  async function handshake(): Promise<{ alice: Device; bob: Device }> {
    const alice = version.device(0);
    const bob = version.device(1);
    await alice.processBundle(bob.address, bob.bundle());
    await bob.decrypt(alice.address, await alice.encrypt(bob.address, HELLO));
    await alice.decrypt(bob.address, await bob.encrypt(alice.address, HELLO));
    return { alice, bob };
  }

  return {
    name: version.name,
    description: version.description,
    supports: ALL_SCENARIOS,

    async establish(): Promise<Conversation> {
      const { alice, bob } = await handshake();
      const of = (side: Side): Device => (side === 'alice' ? alice : bob);
      const peerAddress = (side: Side): A => (side === 'alice' ? bob.address : alice.address);
      return {
        send: (from, plaintext) => of(from).encrypt(peerAddress(from), plaintext),
        receive: (to, message) => of(to).decrypt(peerAddress(to), message as WireMessage),
        recordBytes: (side) => of(side).rawSession(peerAddress(side)),
        messageBytes: (message) => (message as WireMessage).bytes.length,
      };
    },

    async prepareSetups(count: number): Promise<void> {
      setupAlice = version.device(0);
      setupBob = version.device(1);
      bundles = [];
      for (let i = 0; i < count; i++) bundles.push(setupBob.bundle());
    },

    async setupOnce(index: number): Promise<void> {
      const alice = setupAlice!;
      const bob = setupBob!;
      // Fresh addresses per setup so each is a new session, not an archive of the last.
      const bobAddress = alice.addressFor(version.setupName(1, index));
      const aliceAddress = bob.addressFor(version.setupName(0, index));
      await alice.processBundle(bobAddress, bundles[index]!, aliceAddress);
      const plaintext = await bob.decrypt(aliceAddress, await alice.encrypt(bobAddress, HELLO, aliceAddress), bobAddress);
      if (plaintext.length !== HELLO.length) throw new Error(`${version.name} setup: wrong plaintext`);
    },

    async holdSessions(count: number): Promise<unknown[]> {
      const { alice, bob } = await handshake();
      // Each held record is its own native object, as a store that caches records keeps them.
      const bytes = alice.rawSession(bob.address);
      const held: unknown[] = [];
      for (let i = 0; i < count; i++) held.push(alice.holdRecord(bytes));
      return held;
    },
  };
}

/** Column `libsignal-client`: 0.90.0. */
export function libsignalClient(): Implementation {
  return libsignalHarness(V090);
}

/** Column `libsignal-client-0103`: 0.103.0. */
export function libsignalClient0103(): Implementation {
  return libsignalHarness(V0103);
}
