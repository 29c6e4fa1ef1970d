/**
 * Helpers of the edit tests: clients that rewrite what they encrypt (a
 * forging client, a "newer client" that writes fields this SDK does not
 * know, a client that sends malformed edits), at the session seam (option
 * `sessions`) or the sender-key seam, below every check the SDK makes.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { vi } from 'vitest';
import type { SealpostClient } from '../../src/client.ts';
import { ContentSchema } from '../../src/gen/content_pb.ts';
import { senderKeyOps } from '../../src/groups/sender-key-ops.ts';
import { padPlaintext, unpadPlaintext } from '../../src/padding.ts';
import { sessionOps, type SessionOps } from '../../src/session-ops.ts';
import type { StoredMessage } from '../../src/store/types.ts';

/** A rewrite of the plaintext `Content` bytes about to be encrypted; undefined leaves them as they are. */
export type Rewrite = (content: Uint8Array) => Uint8Array | undefined;

/** Session functions that pass every plaintext through `current()` before encrypting (padding kept as the SDK makes it). */
export function rewritingOps(current: () => Rewrite | undefined): SessionOps {
  return {
    ...sessionOps,
    encrypt(record, padded, local, now, addresses) {
      const rewrite = current();
      const out = rewrite?.(unpadPlaintext(padded));
      return sessionOps.encrypt(record, out === undefined ? padded : padPlaintext(out), local, now, addresses);
    },
  };
}

/** Runs `fn` while every sender-key encryption of this process passes its plaintext through `rewrite`. */
export async function withSenderKeyRewrite<T>(rewrite: Rewrite, fn: () => Promise<T>): Promise<T> {
  const original = senderKeyOps.encrypt;
  const spy = vi.spyOn(senderKeyOps, 'encrypt').mockImplementation((record, id, padded) => {
    const out = rewrite(unpadPlaintext(padded));
    return original(record, id, out === undefined ? padded : padPlaintext(out));
  });
  try {
    return await fn();
  } finally {
    spy.mockRestore();
  }
}

/** A forging client: the edit's or delete's target names `author` (someone else) instead of the sender. */
export const forgeTargetAuthor =
  (author: string): Rewrite =>
  (bytes) => {
    const m = fromBinary(ContentSchema, bytes);
    if (m.edit?.target !== undefined) m.edit.target.author = author;
    else if (m.delete?.target !== undefined) m.delete.target.author = author;
    else return undefined;
    return toBinary(ContentSchema, m);
  };

/** Everything `client` stores that an edit could touch: each message's id and content bytes, and its earlier versions. */
export async function snapshot(client: SealpostClient, peer: string): Promise<{ rows: [number, string][]; edits: number }> {
  const rows: StoredMessage[] = await client.store.history.conversation(peer);
  let edits = 0;
  for (const r of rows) edits += (await client.store.edits.list(r.id)).length;
  return { rows: rows.map((r) => [r.id, Buffer.from(r.content).toString('hex')]), edits };
}
