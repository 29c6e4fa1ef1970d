/**
 * `OursEndpoint`: an `OursPeer` (serialized records) adapted to the
 * implementation-neutral `SessionEndpoint` the scenario runners drive, so
 * they can pit it against libsignal-client or against itself.
 */
import type { SessionRecord } from '@sealpost/protocol';
import type { RawPreKeyBundle, WireMessage } from '../libsignal/peer.ts';
import type { EndpointId, SessionEndpoint } from '../session-endpoint.ts';
import { OursPeer, type OursPeerOptions } from './peer.ts';
import { SerializedSessions } from './session-keeping.ts';

function key(id: EndpointId): string {
  return `${id.name}.${id.deviceId}`;
}

export type OursEndpointOptions = Omit<OursPeerOptions, 'keeping'>;

export class OursEndpoint implements SessionEndpoint {
  readonly implementation = 'ours';
  readonly peer: OursPeer;
  readonly id: EndpointId;

  constructor(options: OursEndpointOptions) {
    this.peer = new OursPeer({ ...options, keeping: 'serialized' });
    this.id = { name: this.peer.name, deviceId: this.peer.deviceId };
  }

  get identity(): OursPeer['identity'] {
    return this.peer.identity;
  }

  get registrationId(): number {
    return this.peer.registrationId;
  }

  /** Serialized SessionRecord per remote address (`name.deviceId`). */
  get sessions(): Map<string, Uint8Array> {
    return (this.peer.sessions as SerializedSessions).byRemote;
  }

  /** Trust on first use: remote address -> identity key. */
  get identities(): Map<string, Uint8Array> {
    return this.peer.identities;
  }

  /** One-time prekey ids consumed (removed), in order. */
  get removedPreKeys(): readonly number[] {
    return this.peer.removedPreKeys;
  }

  async bundle(options: { withOneTimePreKey: boolean }): Promise<RawPreKeyBundle> {
    return this.peer.bundle(options);
  }

  async startSession(remote: EndpointId, bundle: RawPreKeyBundle): Promise<void> {
    this.peer.startSession(key(remote), bundle);
  }

  async encrypt(remote: EndpointId, plaintext: Uint8Array): Promise<WireMessage> {
    return this.peer.encrypt(key(remote), plaintext);
  }

  async decrypt(remote: EndpointId, message: WireMessage): Promise<Uint8Array> {
    return this.peer.decrypt(key(remote), message);
  }

  async hasSession(remote: EndpointId): Promise<boolean> {
    return this.peer.hasSession(key(remote));
  }

  /** Test hook: see `OursPeer.editSession`. */
  editSession(remote: EndpointId, edit: (record: SessionRecord) => SessionRecord): void {
    this.peer.editSession(key(remote), edit);
  }

  async resetSession(remote: EndpointId): Promise<void> {
    this.peer.resetSession(key(remote));
  }

  isDuplicateError(error: unknown): boolean {
    return this.peer.isDuplicateError(error);
  }

  isNoSessionError(error: unknown): boolean {
    return this.peer.isNoSessionError(error);
  }
}
