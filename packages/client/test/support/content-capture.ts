/** Test helper: the decoded 1:1 contents a client decrypts (receipts and read syncs are never delivered as messages). */
import { decodeContent, type MessageContent } from '../../src/content.ts';
import { unpadPlaintext } from '../../src/padding.ts';
import { sessionOps, type SessionOps } from '../../src/session-ops.ts';

/** Session functions that record every decrypted `Content`, and what they recorded. */
export function contentCapture(): { sessions: SessionOps; contents: MessageContent[]; receipts: () => NonNullable<MessageContent['receipt']>[]; readSyncs: () => NonNullable<MessageContent['readSync']>[] } {
  const contents: MessageContent[] = [];
  const sessions: SessionOps = {
    ...sessionOps,
    decrypt: (...args) => {
      const out = sessionOps.decrypt(...args);
      contents.push(decodeContent(unpadPlaintext(out.plaintext)));
      return out;
    },
  };
  return {
    sessions,
    contents,
    receipts: () => contents.flatMap((c) => (c.receipt === undefined ? [] : [c.receipt])),
    readSyncs: () => contents.flatMap((c) => (c.readSync === undefined ? [] : [c.readSync])),
  };
}
