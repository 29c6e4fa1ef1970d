/**
 * The sealed sender v2 "SentMessage": what a sender uploads once for many
 * recipients, and the relay's per-recipient split into "ReceivedMessage"s
 * (libsignal `SealedSenderV2SentMessage`).
 *
 * SentMessage = version(0x22 | 0x23) ‖ varint count ‖ recipient* ‖ E.pub(32) ‖ ciphertext
 *   recipient  = serviceId ‖ device+ ‖ C(32) ‖ AT(16)      (0x23: 17-byte fixed-width
 *              | serviceId ‖ 0x00  (excluded recipient)     service id; 0x22: 16-byte ACI UUID)
 *   device     = deviceId(u8, ≠ 0) ‖ u16 BE (has_more << 15 | registrationId & 0x3fff)
 * ReceivedMessage = 0x22 ‖ C ‖ AT ‖ E.pub ‖ ciphertext
 */
import { InvalidArgumentError, InvalidSealedMessageError, UnknownSealedVersionError } from '../errors.ts';
import { checkBytes, concatBytes } from '../primitives/bytes.ts';
import { SERVICE_ID_BINARY_LENGTH, serviceIdFromBinary, serviceIdToBinary, canonicalServiceId } from './service-id.ts';
import { V2_AUTH_TAG_LENGTH, V2_MESSAGE_KEY_LENGTH, V2_PUBLIC_KEY_LENGTH } from './v2-layout.ts';

/** SentMessage version naming recipients by bare ACI UUID (16 bytes). */
export const SEALED_SENDER_V2_UUID_VERSION = 0x22;
/** SentMessage version naming recipients by fixed-width service id (17 bytes). */
export const SEALED_SENDER_V2_SERVICE_ID_VERSION = 0x23;
/** Registration ids fit in 14 bits. */
export const REGISTRATION_ID_MASK = 0x3fff;

/** One device of a recipient, as named in a SentMessage. */
export interface V2Device {
  deviceId: number;
  registrationId: number;
}

/** One recipient parsed from a SentMessage. */
export interface V2SentRecipient {
  /** Canonical service id string. */
  serviceId: string;
  /** Its devices (merged if the recipient appears more than once). */
  devices: V2Device[];
  /** Byte range of this recipient's C ‖ AT inside the SentMessage. */
  keyMaterial: { start: number; end: number };
}

/** A parsed SentMessage: enough to fan it out, nothing decrypted. */
export interface V2SentMessage {
  version: number;
  /** Recipients in first-appearance order. */
  recipients: V2SentRecipient[];
  /** Service ids the sender deliberately excluded. */
  excluded: string[];
  /** Offset of E.pub ‖ ciphertext (shared by all recipients). */
  sharedOffset: number;
}

/**
 * Reads the recipient count exactly as libsignal 0.90 does
 * (`SealedSenderV2SentMessage::parse`: prost `decode_length_delimiter`,
 * then it advances by `length_delimiter_len(value)`): the varint is read
 * in full (≤ 10 bytes, the 10th ≤ 0x01, else refused) but the parser
 * advances by the length of the value's *minimal* encoding, and a value
 * above 2^32 - 1 is refused. So for a non-minimal count such as `81 00`
 * (= 1) the next byte read is the `00`, as in libsignal: both parsers name
 * the same recipients for the same bytes. Returns [value, nextOffset].
 */
function readRecipientCount(data: Uint8Array, offset: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (offset + i >= data.length) throw new InvalidSealedMessageError('bad recipient count varint');
    const b = data[offset + i]!;
    if (i === 9 && b > 0x01) throw new InvalidSealedMessageError('bad recipient count varint');
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) throw new InvalidSealedMessageError('recipient count does not fit 32 bits');
      return [value, offset + minimalVarintLength(value)];
    }
  }
  throw new InvalidSealedMessageError('bad recipient count varint');
}

/** Bytes in the minimal varint encoding of `value` (prost `encoded_len_varint`). */
function minimalVarintLength(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) n++;
  return n;
}

/** Encodes an unsigned varint. */
export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Parses a SentMessage; any structural error is an INVALID_MESSAGE error. */
export function parseV2SentMessage(data: Uint8Array): V2SentMessage {
  checkBytes('sent message', data);
  if (data.length === 0) throw new InvalidSealedMessageError('message is empty');
  const version = data[0]!;
  if (version !== SEALED_SENDER_V2_UUID_VERSION && version !== SEALED_SENDER_V2_SERVICE_ID_VERSION) {
    throw new UnknownSealedVersionError(version);
  }
  const [count, start] = readRecipientCount(data, 1);
  let pos = start;
  const need = (n: number): void => {
    if (pos + n > data.length) throw new InvalidSealedMessageError('sent message is truncated');
  };
  const byId = new Map<string, V2SentRecipient>();
  const excluded = new Set<string>();
  const idLength = version === SEALED_SENDER_V2_UUID_VERSION ? 16 : SERVICE_ID_BINARY_LENGTH;
  for (let i = 0; i < count; i++) {
    need(idLength);
    let serviceId: string;
    try {
      const idBytes = data.subarray(pos, pos + idLength);
      serviceId = serviceIdFromBinary(idLength === 16 ? concatBytes(Uint8Array.of(0), idBytes) : idBytes);
    } catch {
      throw new InvalidSealedMessageError('bad recipient service id');
    }
    pos += idLength;
    const devices: V2Device[] = [];
    for (;;) {
      need(1);
      const deviceId = data[pos++]!;
      if (deviceId === 0) {
        if (devices.length > 0) throw new InvalidSealedMessageError('device id 0 after other devices');
        break;
      }
      if (deviceId > 127) throw new InvalidSealedMessageError(`device id ${deviceId} out of range 1..127`);
      need(2);
      const word = (data[pos]! << 8) | data[pos + 1]!;
      pos += 2;
      devices.push({ deviceId, registrationId: word & REGISTRATION_ID_MASK });
      if ((word & 0x8000) === 0) break;
    }
    let keyMaterial = { start: 0, end: 0 };
    if (devices.length > 0) {
      need(V2_MESSAGE_KEY_LENGTH + V2_AUTH_TAG_LENGTH);
      keyMaterial = { start: pos, end: pos + V2_MESSAGE_KEY_LENGTH + V2_AUTH_TAG_LENGTH };
      pos = keyMaterial.end;
    }
    const existing = byId.get(serviceId);
    if (devices.length === 0) {
      if (existing !== undefined || excluded.has(serviceId)) throw new InvalidSealedMessageError('recipient redundantly encoded as empty');
      excluded.add(serviceId);
    } else if (existing !== undefined) {
      existing.devices.push(...devices);
    } else {
      if (excluded.has(serviceId)) throw new InvalidSealedMessageError('recipient redundantly encoded as empty');
      byId.set(serviceId, { serviceId, devices, keyMaterial });
    }
  }
  if (data.length - pos < V2_PUBLIC_KEY_LENGTH) throw new InvalidSealedMessageError('sent message has no ephemeral key');
  return { version, recipients: [...byId.values()], excluded: [...excluded], sharedOffset: pos };
}

/**
 * The ReceivedMessage for one recipient (all its devices get the same bytes):
 * what the relay stores per device. `parsed` may be passed to avoid re-parsing.
 * Equal to `v2RecipientHeader(…) ‖ v2SharedPayload(…)`.
 */
export function splitV2ForRecipient(sentMessage: Uint8Array, serviceId: string, parsed?: V2SentMessage): Uint8Array {
  const p = parsed ?? parseV2SentMessage(sentMessage);
  const wanted = canonicalServiceId(serviceId);
  const recipient = p.recipients.find((r) => r.serviceId === wanted);
  if (recipient === undefined) throw new InvalidArgumentError(`${wanted} is not a recipient of this message`);
  return concatBytes(v2RecipientHeader(sentMessage, recipient), sentMessage.subarray(p.sharedOffset));
}

/**
 * A recipient's own part of its ReceivedMessage, `0x22 ‖ C ‖ AT` (49 bytes,
 * a copy): what a relay storing the shared part once keeps per recipient.
 */
export function v2RecipientHeader(sentMessage: Uint8Array, recipient: V2SentRecipient): Uint8Array {
  return concatBytes(Uint8Array.of(SEALED_SENDER_V2_UUID_VERSION), sentMessage.subarray(recipient.keyMaterial.start, recipient.keyMaterial.end));
}

/** The part of every recipient's ReceivedMessage that is the same for all, `E.pub ‖ ciphertext` (a copy). */
export function v2SharedPayload(sentMessage: Uint8Array, parsed: V2SentMessage): Uint8Array {
  return sentMessage.slice(parsed.sharedOffset);
}

/** Serializes one recipient block (used by `sealV2MultiRecipient`). */
export function encodeRecipientBlock(serviceId: string, devices: V2Device[], c: Uint8Array, at: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [serviceIdToBinary(serviceId)];
  devices.forEach((d, i) => {
    if (!Number.isInteger(d.deviceId) || d.deviceId < 1 || d.deviceId > 127) {
      throw new InvalidArgumentError(`device id must be 1..127, got ${d.deviceId}`);
    }
    if (!Number.isInteger(d.registrationId) || (d.registrationId & REGISTRATION_ID_MASK) !== d.registrationId) {
      throw new InvalidArgumentError(`registration id must fit in 14 bits, got ${d.registrationId}`);
    }
    const word = d.registrationId | (i < devices.length - 1 ? 0x8000 : 0);
    parts.push(Uint8Array.of(d.deviceId, word >> 8, word & 0xff));
  });
  parts.push(c, at);
  return concatBytes(...parts);
}
