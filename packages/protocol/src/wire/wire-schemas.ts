/**
 * Wire schemas for the strict pre-check (strict-wire.ts): derived once from
 * the generated @bufbuild/protobuf descriptors, so a schema can never drift
 * from the message it guards, plus the few messages read by hand-written
 * readers (sealed-sender content and envelope, scannable fingerprints).
 */
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { type WireField, type WireKind, type WireSchema, wireSchema } from './strict-wire.ts';

function scalarKind(scalar: ScalarType): WireKind {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 'fixed64';
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return 'fixed32';
    case ScalarType.STRING:
      return 'string';
    case ScalarType.BYTES:
      return 'bytes';
    default:
      return 'varint';
  }
}

function fieldRule(field: DescField): WireField {
  switch (field.fieldKind) {
    case 'scalar':
      return { kind: scalarKind(field.scalar) };
    case 'enum':
      return { kind: 'varint' };
    case 'message':
      return { kind: 'message', schema: () => wireSchemaOf(field.message) };
    case 'list':
      if (field.listKind === 'message') return { kind: 'message', schema: () => wireSchemaOf(field.message) };
      if (field.listKind === 'enum') return { kind: 'varint', packed: true };
      return { kind: scalarKind(field.scalar), packed: true };
    case 'map':
      throw new Error(`map fields are not used on the wire (${field.name})`);
  }
}

const derived = new WeakMap<DescMessage, WireSchema>();

/** The wire schema of a generated message type (cached). */
export function wireSchemaOf(desc: DescMessage): WireSchema {
  let schema = derived.get(desc);
  if (schema === undefined) {
    schema = { name: desc.name, fields: new Map(desc.fields.map((f) => [f.number, fieldRule(f)])) };
    derived.set(desc, schema);
  }
  return schema;
}

const BYTES: WireField = { kind: 'bytes' };
const VARINT: WireField = { kind: 'varint' };

/** `UnidentifiedSenderMessage.Message` (libsignal sealed_sender.proto): the USMC. */
export const SEALED_CONTENT_WIRE = wireSchema('UnidentifiedSenderMessageContent', {
  1: VARINT,
  2: BYTES,
  3: BYTES,
  4: VARINT,
  5: BYTES,
});

/** `UnidentifiedSenderMessage` (the sealed sender v1 envelope body). */
export const SEALED_V1_WIRE = wireSchema('UnidentifiedSenderMessage', { 1: BYTES, 2: BYTES, 3: BYTES });

const LOGICAL_FINGERPRINT_WIRE = wireSchema('LogicalFingerprint', { 1: BYTES });

/** `CombinedFingerprints` (libsignal fingerprint.proto). */
export const COMBINED_FINGERPRINTS_WIRE = wireSchema('CombinedFingerprints', {
  1: VARINT,
  2: { kind: 'message', schema: () => LOGICAL_FINGERPRINT_WIRE },
  3: { kind: 'message', schema: () => LOGICAL_FINGERPRINT_WIRE },
});
