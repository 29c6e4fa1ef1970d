/**
 * Recovering from envelopes that cannot be decrypted, as Signal's clients
 * do with retry requests:
 *
 * - Receiving side: an envelope whose session step failed is quarantined
 *   (`incoming.ts`) and its sender gets a decryption-error message —
 *   libsignal's `DecryptionErrorMessage.forOriginal(message, type,
 *   timestamp, senderDevice)` inside a `PlaintextContent`, sealed (content
 *   type 8) to the sender's account. The timestamp is the relay's
 *   `receivedAt` (our relay does not carry the sender's timestamp; Sealpost
 *   senders match on the ratchet key). Without the sender's profile key
 *   (no message from it ever decrypted) the relay refuses the send: then the
 *   envelope is only quarantined, and the failure reported.
 * - Sending side: a decryption-error message for this device naming a
 *   ratchet key we sent under makes `Outgoing.resendAfterDecryptionError`
 *   re-establish the session from a fresh bundle and resend what the sent
 *   log holds for that key. Requests for another of our devices are ignored.
 */
import { decryptionErrorMessageForOriginal, encodePlaintextContent, SealpostError, type DecryptionErrorMessage } from '@sealpost/protocol';
import type { ClientEvents } from './client-types.ts';
import { ClientError, isNetworkError, ServiceError } from './errors.ts';
import type { IncomingRecovery, OpenedEnvelope } from './incoming.ts';
import type { Outgoing } from './outgoing.ts';
import type { DeviceAddress, RegisteredAccount } from './store/types.ts';

/** What `Recovery` works with. */
export interface RecoveryDeps {
  outgoing: Outgoing;
  /** Answers a retry request about a group message (resend 1:1 with a fresh sender key); returns how many were resent. */
  groupResend?: (requester: DeviceAddress, groupId: Uint8Array, timestamp: number) => Promise<number>;
  own: () => RegisteredAccount;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
}

/** A resend this device made for a decryption-error message (for apps and tests). */
export interface ResendReport {
  /** The device that asked. */
  requester: DeviceAddress;
  /** Messages resent to it. */
  resent: number;
}

/** Decryption-error messages, both ways. */
export class Recovery implements IncomingRecovery {
  constructor(private readonly d: RecoveryDeps) {}

  async requestResend(opened: OpenedEnvelope): Promise<void> {
    let request: DecryptionErrorMessage;
    try {
      request = decryptionErrorMessageForOriginal(opened.contents, opened.contentType, opened.envelope.receivedAt, opened.sender.device);
    } catch (error) {
      // Not a parseable Signal/PreKey message: there is no ratchet key to name, and a new session would not help.
      if (error instanceof SealpostError) return;
      throw error;
    }
    try {
      // Sealed to the identity its (validated) certificate names: the session that would have trusted it failed.
      await this.d.outgoing.sendPlaintextContent(opened.sender.account, encodePlaintextContent(request), opened.senderIdentityKey, opened.groupId);
    } catch (error) {
      // No profile key of the sender (nothing from it ever decrypted): the relay would refuse us. Quarantine only.
      if (error instanceof ClientError && error.code === 'UNKNOWN_RECIPIENT') return;
      throw error;
    }
  }

  async onDecryptionError(sender: DeviceAddress, request: DecryptionErrorMessage, groupId?: Uint8Array): Promise<void> {
    // Sent to every device of our account: only the device that sent the failed message answers.
    if (request.deviceId !== this.d.own().device) return;
    // A sender-key message names no ratchet key; the request names its group instead.
    const ratchetKey = request.ratchetKey;
    const groupResend = this.d.groupResend;
    if (ratchetKey === undefined && (groupId === undefined || groupResend === undefined)) return;
    let resent: number;
    try {
      resent =
        ratchetKey !== undefined
          ? await this.d.outgoing.resendAfterDecryptionError(sender, ratchetKey, request.timestamp)
          : await groupResend!(sender, groupId!, request.timestamp);
    } catch (error) {
      // Unreachable services: the request stays on the relay and is answered when it comes again.
      if (isNetworkError(error) || (error instanceof ServiceError && error.status >= 500)) throw error;
      this.d.emit('error', { error });
      return;
    }
    this.d.emit('resent', { requester: sender, resent });
  }
}
