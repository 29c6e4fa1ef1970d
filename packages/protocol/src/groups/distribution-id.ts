/** Distribution ids: UUID strings at the API, 16 raw bytes on the wire. */
import { InvalidArgumentError, InvalidMessageError, type SealpostError } from '../errors.ts';
import { uuidFromBytes, uuidToBytes } from '../primitives/bytes.ts';

/** The 16 bytes of a distribution id given as a UUID string (either case). */
export function distributionIdBytes(distributionId: string): Uint8Array {
  try {
    return uuidToBytes(distributionId);
  } catch {
    throw new InvalidArgumentError(`distribution id must be a UUID string, got ${JSON.stringify(String(distributionId))}`);
  }
}

/** The canonical UUID string of a wire distribution id; exactly 16 bytes, as libsignal's `Uuid::from_slice`. */
export function distributionIdFromWire(
  bytes: Uint8Array,
  what: string,
  fail: (message: string) => SealpostError = (m) => new InvalidMessageError(m),
): string {
  if (bytes.length !== 16) throw fail(`${what}: distribution id must be 16 bytes, got ${bytes.length}`);
  return uuidFromBytes(bytes);
}
