/**
 * The one place the client calls `@sealpost/protocol/groups` (sender keys):
 * record bytes in, record bytes out, so the store keeps opaque records and
 * a failed step (which throws) leaves the stored record as it was.
 */
import {
  createDistributionMessage,
  decodeDistributionMessage,
  decodeSenderKeyMessage,
  deserializeSenderKeyRecord,
  groupDecrypt,
  groupEncrypt,
  processDistributionMessage,
  serializeSenderKeyRecord,
} from '@sealpost/protocol/groups';

const parse = (record: Uint8Array | undefined) => (record === undefined ? undefined : deserializeSenderKeyRecord(record));

/** Sender-key steps over serialized records. */
export interface SenderKeyOps {
  /**
   * The distribution message of our own chain for `distributionId` (a new
   * chain when `record` has none), and the record to store.
   */
  distribution(record: Uint8Array | undefined, distributionId: string): { record: Uint8Array; message: Uint8Array };
  /** Processes a member's distribution message; returns its distribution id and the record to store under it. */
  process(record: Uint8Array | undefined, message: Uint8Array): { record: Uint8Array; distributionId: string };
  /** The distribution id a distribution message names (throws on a malformed one). */
  distributionIdOf(message: Uint8Array): string;
  /** The distribution id a group message (SenderKeyMessage) names (throws on a malformed one). */
  messageDistributionId(message: Uint8Array): string;
  encrypt(record: Uint8Array | undefined, distributionId: string, plaintext: Uint8Array): { record: Uint8Array; message: Uint8Array };
  decrypt(record: Uint8Array | undefined, message: Uint8Array): { record: Uint8Array; plaintext: Uint8Array };
}

/** The implementation over `@sealpost/protocol/groups`. */
export const senderKeyOps: SenderKeyOps = {
  distribution(record, distributionId) {
    const out = createDistributionMessage(parse(record), distributionId);
    return { record: serializeSenderKeyRecord(out.record), message: out.message.serialized };
  },
  process(record, message) {
    const skdm = decodeDistributionMessage(message);
    return { record: serializeSenderKeyRecord(processDistributionMessage(parse(record), skdm)), distributionId: skdm.distributionId };
  },
  distributionIdOf: (message) => decodeDistributionMessage(message).distributionId,
  messageDistributionId: (message) => decodeSenderKeyMessage(message).distributionId,
  encrypt(record, distributionId, plaintext) {
    const out = groupEncrypt(parse(record), distributionId, plaintext);
    return { record: serializeSenderKeyRecord(out.record), message: out.message.serialized };
  },
  decrypt(record, message) {
    const out = groupDecrypt(parse(record), message);
    return { record: serializeSenderKeyRecord(out.record), plaintext: out.plaintext };
  },
};
