/**
 * The `Content` fields of edit, delete for everyone and app extensions
 * (21, 22, 23), and the report of unknown fields, encoded and decoded
 * beside the rest of `content.ts`. Bad values are `INVALID_DATA`.
 */
import { create } from '@bufbuild/protobuf';
import { DeleteSchema, EditSchema, ExtensionSchema, type Content } from '../gen/content_pb.ts';
import { ClientError } from '../errors.ts';
import type { MessageContent, MessageRef } from '../content.ts';
import type { Extension } from './types.ts';

/** Longest edit text, UTF-8 bytes (a message text is bounded by the relay's envelope limit; an edit by this). */
export const MAX_EDIT_TEXT_BYTES = 64 * 1024;
/** Most extensions on one message. */
export const MAX_EXTENSIONS = 16;
/** Longest extension type name, characters. */
export const MAX_EXTENSION_TYPE_LENGTH = 128;
/**
 * Most extension data bytes on one message, all extensions together: with
 * padding and sealing the envelope stays under the relay's default
 * 256 KiB `maxEnvelopeBytes`.
 */
export const MAX_EXTENSION_BYTES = 128 * 1024;

/** A reverse-DNS name: two or more dot-separated labels of letters, digits, `-` and `_`, starting with a letter. */
const EXTENSION_TYPE = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;

/** Throws `INVALID_DATA` unless `type` is a valid extension type name. */
export function checkExtensionType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || type.length === 0) throw new ClientError('INVALID_DATA', 'extension type must be a non-empty string');
  if (type.length > MAX_EXTENSION_TYPE_LENGTH) throw new ClientError('INVALID_DATA', `extension type longer than ${MAX_EXTENSION_TYPE_LENGTH} characters`);
  if (!EXTENSION_TYPE.test(type)) throw new ClientError('INVALID_DATA', `extension type ${JSON.stringify(type.slice(0, 40))} is not a reverse-DNS name (e.g. com.example.poll)`);
}

function checkExtensions(list: readonly { type: unknown; data: unknown }[]): void {
  if (list.length > MAX_EXTENSIONS) throw new ClientError('INVALID_DATA', `more than ${MAX_EXTENSIONS} extensions`);
  let total = 0;
  for (const e of list) {
    checkExtensionType(e.type);
    if (!(e.data instanceof Uint8Array)) throw new ClientError('INVALID_DATA', 'extension data must be bytes');
    total += e.data.length;
  }
  if (total > MAX_EXTENSION_BYTES) throw new ClientError('INVALID_DATA', `extension data of ${total} bytes exceeds ${MAX_EXTENSION_BYTES}`);
}

function checkEditText(text: unknown): asserts text is string {
  if (typeof text !== 'string' || text.length === 0) throw new ClientError('INVALID_DATA', 'an edit needs a non-empty text (delete the message instead)');
  if (new TextEncoder().encode(text).length > MAX_EDIT_TEXT_BYTES) throw new ClientError('INVALID_DATA', `edit text exceeds ${MAX_EDIT_TEXT_BYTES} bytes`);
}

type RefCodec = {
  toRef: (name: string, ref: MessageRef) => NonNullable<Content['replyTo']>;
  fromRef: (ref: NonNullable<Content['replyTo']>) => MessageRef;
};

/** Sets fields 21–23 of `message` from `content`. */
export function encodeEditFields(message: Content, content: Pick<MessageContent, 'edit' | 'delete' | 'extensions'>, refs: RefCodec): void {
  if (content.edit !== undefined) {
    checkEditText(content.edit.text);
    message.edit = create(EditSchema, { target: refs.toRef('edit.target', content.edit.target), text: content.edit.text });
  }
  if (content.delete !== undefined) message.delete = create(DeleteSchema, { target: refs.toRef('delete.target', content.delete.target) });
  if (content.extensions !== undefined) {
    checkExtensions(content.extensions);
    message.extensions = content.extensions.map((e) => create(ExtensionSchema, { type: e.type, data: e.data }));
  }
}

/** Reads fields 21–23 of `m` into `out`, and lists the fields this SDK does not know. */
export function decodeEditFields(m: Content, out: MessageContent, refs: RefCodec): void {
  if (m.edit !== undefined) {
    if (m.edit.target === undefined || m.edit.target.author === '' || m.edit.target.timestamp === 0n) throw new ClientError('INVALID_DATA', 'an edit without a target');
    checkEditText(m.edit.text);
    out.edit = { target: refs.fromRef(m.edit.target), text: m.edit.text };
  }
  if (m.delete !== undefined) {
    if (m.delete.target === undefined || m.delete.target.author === '' || m.delete.target.timestamp === 0n) throw new ClientError('INVALID_DATA', 'a delete without a target');
    out.delete = { target: refs.fromRef(m.delete.target) };
  }
  if (out.edit !== undefined && out.delete !== undefined) throw new ClientError('INVALID_DATA', 'a payload that both edits and deletes');
  if (m.extensions.length > 0) {
    checkExtensions(m.extensions);
    out.extensions = m.extensions.map((e): Extension => ({ type: e.type, data: e.data }));
  }
  const unknown = m.$unknown;
  if (unknown !== undefined && unknown.length > 0) out.unknownFields = [...new Set(unknown.map((f) => f.no))].sort((a, b) => a - b);
}
