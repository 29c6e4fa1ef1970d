/**
 * `SignalMessage.addresses` (field 6, libsignal ≥ 0.91): who sent a message
 * to whom, MAC-covered, so a message cannot be replayed to another device.
 *
 *   addresses = serviceId(sender) (17) || deviceId(sender) (1)
 *            || serviceId(recipient) (17) || deviceId(recipient) (1)
 *
 * where a fixed-width service id is `kind (0 = ACI, 1 = PNI) || 16-byte
 * UUID`. A name that does not parse as a service id string (a hyphenated
 * UUID, or `PNI:<uuid>`) or a device id outside 1..255 yields no field:
 * libsignal then leaves it out when sending, and rejects a present field
 * on receipt (the compare cannot succeed).
 */
import { constantTimeEqual } from '../primitives/index.ts';
import { UUID_PATTERN, uuidToBytes } from '../primitives/bytes.ts';

/** A protocol address: the account's service id string and the device id. */
export interface ProtocolAddress {
  /** A hyphenated UUID (ACI) or `PNI:<uuid>`. */
  readonly name: string;
  readonly deviceId: number;
}

/** The local and remote address of a session, as the caller knows them. */
export interface SessionAddresses {
  readonly local: ProtocolAddress;
  readonly remote: ProtocolAddress;
}

export const ADDRESSES_LENGTH = 36;

function fixedWidth(address: ProtocolAddress): Uint8Array | undefined {
  if (address === null || typeof address !== 'object' || typeof address.name !== 'string') return undefined;
  const { deviceId } = address;
  if (!Number.isInteger(deviceId) || deviceId < 1 || deviceId > 255) return undefined;
  let kind = 0;
  let uuid = address.name;
  if (uuid.startsWith('PNI:')) {
    kind = 1;
    uuid = uuid.slice(4);
  }
  if (!UUID_PATTERN.test(uuid.toLowerCase())) return undefined;
  const out = new Uint8Array(18);
  out[0] = kind;
  out.set(uuidToBytes(uuid), 1);
  out[17] = deviceId;
  return out;
}

/** Field 6 for a message from `sender` to `recipient`, or undefined when either is not a service id address. */
export function serializeAddresses(sender: ProtocolAddress, recipient: ProtocolAddress): Uint8Array | undefined {
  const a = fixedWidth(sender);
  const b = fixedWidth(recipient);
  if (a === undefined || b === undefined) return undefined;
  const out = new Uint8Array(ADDRESSES_LENGTH);
  out.set(a, 0);
  out.set(b, 18);
  return out;
}

/**
 * The receive-side check: a message's field 6, when present, must name the
 * remote as sender and us as recipient. Without addresses from the caller
 * there is nothing to compare with and the field is accepted as is.
 */
export function addressesMatch(field: Uint8Array | undefined, addresses: SessionAddresses | undefined): boolean {
  if (field === undefined || addresses === undefined) return true;
  const expected = serializeAddresses(addresses.remote, addresses.local);
  if (expected === undefined || field.length !== ADDRESSES_LENGTH) return false;
  return constantTimeEqual(field, expected);
}
