/**
 * The inbound handler for sealed content type 7 (a sender-key message):
 * the record of (sender device, distribution id) is loaded, the message
 * decrypted (signature first; a failure throws and changes nothing) and the
 * advanced record stored — in the envelope's transaction, so the group
 * checks that follow (`GroupReceiver.apply`) roll it back if they refuse.
 */
import type { InboundHandler } from '../incoming.ts';
import { unpadPlaintext } from '../padding.ts';
import type { SenderKeyOps } from './sender-key-ops.ts';

/** Sealed content type of a sender-key message. */
export const SENDER_KEY_CONTENT_TYPE = 7;

/** The handler for content type 7. */
export function senderKeyInboundHandler(ops: SenderKeyOps): InboundHandler {
  return async (tx, envelope) => {
    const distributionId = ops.messageDistributionId(envelope.contents);
    const out = ops.decrypt(await tx.senderKeys.load(envelope.sender, distributionId), envelope.contents);
    await tx.senderKeys.store(envelope.sender, distributionId, out.record);
    return { plaintext: unpadPlaintext(out.plaintext), usedOneTime: false };
  };
}
