/**
 * Signal service ids (ACI / PNI) and their 17-byte fixed-width binary form,
 * which sealed sender v2 uses to name recipients: `kind ‖ uuid(16)`, with
 * kind 0 for an ACI (string form: the bare UUID) and 1 for a PNI (`PNI:uuid`).
 */
import { InvalidArgumentError } from '../errors.ts';
import { checkBytes, isCanonicalUuid, uuidFromBytes, uuidToBytes } from '../primitives/bytes.ts';

/** Length of a fixed-width binary service id. */
export const SERVICE_ID_BINARY_LENGTH = 17;

const KIND_ACI = 0;
const KIND_PNI = 1;

/** Encodes `uuid` or `PNI:uuid` as the 17-byte fixed-width binary form. */
export function serviceIdToBinary(serviceId: string): Uint8Array {
  if (typeof serviceId !== 'string') throw new InvalidArgumentError('service id must be a string');
  let kind = KIND_ACI;
  let uuid = serviceId;
  if (serviceId.startsWith('PNI:')) {
    kind = KIND_PNI;
    uuid = serviceId.slice(4);
  }
  if (!isCanonicalUuid(uuid.toLowerCase())) throw new InvalidArgumentError(`not a service id (UUID or PNI:UUID): ${JSON.stringify(serviceId)}`);
  const out = new Uint8Array(SERVICE_ID_BINARY_LENGTH);
  out[0] = kind;
  out.set(uuidToBytes(uuid), 1);
  return out;
}

/** Decodes the 17-byte fixed-width binary form back to its canonical (lower-case) string. */
export function serviceIdFromBinary(bytes: Uint8Array): string {
  checkBytes('service id', bytes, SERVICE_ID_BINARY_LENGTH);
  const uuid = uuidFromBytes(bytes.subarray(1));
  if (bytes[0] === KIND_ACI) return uuid;
  if (bytes[0] === KIND_PNI) return `PNI:${uuid}`;
  throw new InvalidArgumentError(`unknown service id kind ${bytes[0]}`);
}

/** Canonical string form of a service id (lower-case UUID, `PNI:` prefix kept). */
export function canonicalServiceId(serviceId: string): string {
  return serviceIdFromBinary(serviceIdToBinary(serviceId));
}
