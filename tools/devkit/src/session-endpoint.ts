/**
 * The implementation-neutral device the session scenarios drive — ours
 * (`OursEndpoint`) or libsignal-client's (`LibsignalEndpoint`).
 */
import type { RawPreKeyBundle, WireMessage } from './libsignal/peer.ts';

/** How a peer names another device. */
export interface EndpointId {
  name: string;
  deviceId: number;
}

/** One device, whichever implementation drives it. */
export interface SessionEndpoint {
  /** 'ours' or 'libsignal' — used in test output. */
  readonly implementation: string;
  readonly id: EndpointId;
  /** Publishes a fresh prekey bundle (signed + Kyber, optional one-time prekey). */
  bundle(options: { withOneTimePreKey: boolean }): Promise<RawPreKeyBundle>;
  /** Starts a session with `remote` from its bundle (this side initiates). */
  startSession(remote: EndpointId, bundle: RawPreKeyBundle): Promise<void>;
  encrypt(remote: EndpointId, plaintext: Uint8Array): Promise<WireMessage>;
  decrypt(remote: EndpointId, message: WireMessage): Promise<Uint8Array>;
  /** Whether a session able to send to `remote` exists. */
  hasSession(remote: EndpointId): Promise<boolean>;
  /** Loses the session with `remote` entirely (a reinstall). */
  resetSession(remote: EndpointId): Promise<void>;
  /** True if `error` is this implementation's "duplicate message" error. */
  isDuplicateError(error: unknown): boolean;
  /** True if `error` is this implementation's "no session with that peer" error. */
  isNoSessionError(error: unknown): boolean;
}
