/** The codec of Content fields 21–23 (edit, delete, extensions) and of unknown fields: round trips, bounds, malformed input as INVALID_DATA. */
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent } from '../src/content.ts';
import { ClientError } from '../src/errors.ts';
import { ContentSchema, EditSchema, DeleteSchema, ExtensionSchema, MessageReferenceSchema } from '../src/gen/content_pb.ts';
import { MAX_EDIT_TEXT_BYTES, MAX_EXTENSIONS, MAX_EXTENSION_BYTES, MAX_EXTENSION_TYPE_LENGTH } from '../src/edits/edit-codec.ts';
import { withText } from '../src/edits/apply-edit.ts';

const target = { author: 'acct-a', timestamp: 1000 };
const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'none';
  } catch (e) {
    return e instanceof ClientError ? e.code : `other: ${(e as Error).message}`;
  }
};
const ref = (author: string, timestamp: bigint) => create(MessageReferenceSchema, { author, timestamp });
const raw = (fields: Parameters<typeof create<typeof ContentSchema>>[1]) => toBinary(ContentSchema, create(ContentSchema, { version: 1, timestamp: 5n, ...fields }));

describe('edit codec', () => {
  it('round-trips an edit, a delete and extensions', () => {
    expect(decodeContent(encodeContent({ timestamp: 2000, edit: { target, text: 'fixed' } }))).toEqual({ version: 1, timestamp: 2000, edit: { target, text: 'fixed' } });
    expect(decodeContent(encodeContent({ timestamp: 2000, delete: { target: { ...target, messageId: 'm1' } } }))).toEqual({ version: 1, timestamp: 2000, delete: { target: { ...target, messageId: 'm1' } } });
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const out = decodeContent(encodeContent({ timestamp: 3, text: 'vote!', extensions: [{ type: 'com.example.poll', data }, { type: 'org.example.empty', data: new Uint8Array(0) }] }));
    expect(out.text).toBe('vote!');
    expect(out.extensions).toEqual([{ type: 'com.example.poll', data }, { type: 'org.example.empty', data: new Uint8Array(0) }]);
  });

  it('refuses bad edits, deletes and extensions on encode and decode with INVALID_DATA', () => {
    const big = 'x'.repeat(MAX_EDIT_TEXT_BYTES + 1);
    const encodes: (() => unknown)[] = [
      () => encodeContent({ timestamp: 1, edit: { target, text: '' } }),
      () => encodeContent({ timestamp: 1, edit: { target, text: big } }),
      () => encodeContent({ timestamp: 1, edit: { target: { author: '', timestamp: 1 }, text: 'a' } }),
      () => encodeContent({ timestamp: 1, delete: { target: { author: 'a', timestamp: -1 } } }),
      () => encodeContent({ timestamp: 1, extensions: [{ type: '', data: new Uint8Array(1) }] }),
      () => encodeContent({ timestamp: 1, extensions: [{ type: 'poll', data: new Uint8Array(1) }] }),
      () => encodeContent({ timestamp: 1, extensions: [{ type: 'com.example.' + 'p'.repeat(MAX_EXTENSION_TYPE_LENGTH), data: new Uint8Array(1) }] }),
      () => encodeContent({ timestamp: 1, extensions: [{ type: 'com.exa mple', data: new Uint8Array(1) }] }),
      () => encodeContent({ timestamp: 1, extensions: Array.from({ length: MAX_EXTENSIONS + 1 }, () => ({ type: 'com.example.x', data: new Uint8Array(0) })) }),
      () => encodeContent({ timestamp: 1, extensions: [{ type: 'com.example.x', data: new Uint8Array(MAX_EXTENSION_BYTES + 1) }] }),
    ];
    expect(encodes.map(codeOf)).toEqual(Array(encodes.length).fill('INVALID_DATA'));
    const decodes: Uint8Array[] = [
      raw({ edit: create(EditSchema, { text: 'no target' }) }),
      raw({ edit: create(EditSchema, { target: ref('acct-a', 1000n), text: '' }) }),
      raw({ edit: create(EditSchema, { target: ref('', 1000n), text: 'x' }) }),
      raw({ edit: create(EditSchema, { target: ref('acct-a', 1000n), text: big }) }),
      raw({ delete: create(DeleteSchema, {}) }),
      raw({ delete: create(DeleteSchema, { target: ref('acct-a', 0n) }) }),
      raw({ edit: create(EditSchema, { target: ref('acct-a', 1000n), text: 'x' }), delete: create(DeleteSchema, { target: ref('acct-a', 1000n) }) }),
      raw({ extensions: [create(ExtensionSchema, { type: 'nodots', data: new Uint8Array(1) })] }),
      raw({ extensions: [create(ExtensionSchema, { type: 'com.example.x', data: new Uint8Array(MAX_EXTENSION_BYTES + 1) })] }),
      // A truncated edit (length prefix past the end).
      Uint8Array.from([...raw({}), 0xaa, 0x01, 0x20, 0x0a]),
    ];
    expect(decodes.map((b) => codeOf(() => decodeContent(b)))).toEqual(Array(decodes.length).fill('INVALID_DATA'));
  });

  it('lists unknown field numbers and keeps them when an edit replaces the text', () => {
    // Fields 40 (varint) and 41 (bytes) from a "newer client".
    const bytes = Uint8Array.from([...encodeContent({ timestamp: 7, text: 'old' }), 0xc0, 0x02, 0x05, 0xca, 0x02, 0x03, 0x61, 0x62, 0x63]);
    expect(decodeContent(bytes)).toEqual({ version: 1, timestamp: 7, text: 'old', unknownFields: [40, 41] });
    const edited = withText(bytes, 'new');
    expect(decodeContent(edited)).toEqual({ version: 1, timestamp: 7, text: 'new', unknownFields: [40, 41] });
    // The unknown bytes themselves survive, in order.
    expect(Buffer.from(edited).includes(Buffer.from([0xc0, 0x02, 0x05, 0xca, 0x02, 0x03, 0x61, 0x62, 0x63]))).toBe(true);
  });
});
