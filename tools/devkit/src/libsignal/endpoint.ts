/**
 * Adapts a `LibsignalPeer` to the implementation-neutral `SessionEndpoint`
 * the scenario runners drive.
 */
import { ErrorCode, LibSignalErrorBase, ProtocolAddress } from '@signalapp/libsignal-client';
import type { EndpointId, SessionEndpoint } from '../session-endpoint.ts';
import { LibsignalPeer, type LibsignalPeerOptions, type RawPreKeyBundle, type WireMessage } from './peer.ts';

export class LibsignalEndpoint implements SessionEndpoint {
  readonly implementation = 'libsignal';
  readonly peer: LibsignalPeer;
  readonly id: EndpointId;

  constructor(options: LibsignalPeerOptions) {
    this.peer = new LibsignalPeer(options);
    this.id = { name: this.peer.name, deviceId: this.peer.deviceId };
  }

  private static address(remote: EndpointId): ProtocolAddress {
    return ProtocolAddress.new(remote.name, remote.deviceId);
  }

  async bundle(options: { withOneTimePreKey: boolean }): Promise<RawPreKeyBundle> {
    return this.peer.generateBundle(options);
  }

  async startSession(remote: EndpointId, bundle: RawPreKeyBundle): Promise<void> {
    await this.peer.processBundle(LibsignalEndpoint.address(remote), bundle);
  }

  encrypt(remote: EndpointId, plaintext: Uint8Array): Promise<WireMessage> {
    return this.peer.encrypt(LibsignalEndpoint.address(remote), plaintext);
  }

  decrypt(remote: EndpointId, message: WireMessage): Promise<Uint8Array> {
    return this.peer.decrypt(LibsignalEndpoint.address(remote), message);
  }

  hasSession(remote: EndpointId): Promise<boolean> {
    return this.peer.hasSession(LibsignalEndpoint.address(remote));
  }

  async resetSession(remote: EndpointId): Promise<void> {
    this.peer.resetSession(LibsignalEndpoint.address(remote));
  }

  isDuplicateError(error: unknown): boolean {
    return error instanceof LibSignalErrorBase && error.code === ErrorCode.DuplicatedMessage;
  }

  isNoSessionError(error: unknown): boolean {
    // libsignal 0.90 reports SessionNotFound as a Generic error.
    return (
      error instanceof LibSignalErrorBase &&
      error.code === ErrorCode.Generic &&
      /^session with .* not found$/.test(error.message)
    );
  }
}
