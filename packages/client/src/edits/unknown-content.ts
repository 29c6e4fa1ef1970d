/**
 * Content from newer clients: a `Content` with field numbers this SDK does
 * not know, or a higher `version`, is stored exactly as received (the
 * history keeps the decrypted bytes; nothing re-encodes them) and reported
 * on every delivery, redeliveries included: `content.unknownFields` on the
 * `message` event and an `unknownContent` event.
 */
import type { ReceivedMessage } from '../client-types.ts';
import { CONTENT_VERSION } from '../content.ts';
import type { UnknownContentEvent } from './types.ts';

/** The `unknownContent` event of a message that carries fields this SDK does not know or a newer version, else undefined. */
export function unknownContentOf(message: ReceivedMessage): UnknownContentEvent | undefined {
  const fields = message.content.unknownFields ?? [];
  if (fields.length === 0 && message.content.version <= CONTENT_VERSION) return undefined;
  return { message, fields, version: message.content.version };
}
