/**
 * Where lower-level failures become the protocol's typed errors, written
 * once: bytes that do not parse as a protobuf schema (`decodeProto`), and a
 * lower layer's error that means something else one layer up (`rethrowAs`:
 * a bad key inside a message is a bad message). Internal; not exported by
 * any entry.
 */
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { InvalidRecordError, type SealpostError } from './errors.ts';
import { WireFormatError, canonicalWire } from './wire/strict-wire.ts';
import { wireSchemaOf } from './wire/wire-schemas.ts';

/**
 * Parses `bytes` as `schema` after the strict pre-check (wire/strict-wire.ts):
 * an encoding libsignal's decoder refuses throws
 * `new fail(`${what}: malformed protobuf (…)`)`. The message is decoded
 * from a private canonical copy, so nothing it holds aliases `bytes`.
 */
export function decodeProto<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
  what: string,
  fail: new (message: string) => SealpostError = InvalidRecordError,
): MessageShape<Desc> {
  let canonical: Uint8Array;
  try {
    canonical = canonicalWire(bytes, wireSchemaOf(schema));
  } catch (e) {
    if (e instanceof WireFormatError) throw new fail(`${what}: malformed protobuf (${e.message})`);
    throw e;
  }
  try {
    return fromBinary(schema, canonical);
  } catch {
    throw new fail(`${what}: malformed protobuf`);
  }
}

/**
 * In a `catch`: rethrows `error` as `into(error.message)` when it is an
 * instance of `from` (e.g. a bad key inside a message is a bad message),
 * and unchanged otherwise.
 */
export function rethrowAs(
  error: unknown,
  from: abstract new (...args: never[]) => Error,
  into: (message: string) => SealpostError,
): never {
  if (error instanceof from) throw into(error.message);
  throw error;
}
