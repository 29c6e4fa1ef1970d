/**
 * Reads a few fields out of libsignal-format messages for the test network
 * simulator (which chain a message belongs to) — independent of both the
 * code under test and libsignal, via @bufbuild/protobuf's wire reader.
 *
 * Layouts (libsignal wire.proto, version 4):
 *   SignalMessage       = version byte ‖ protobuf { 1: ratchet_key, 2: counter,
 *                         3: previous_counter, 4: ciphertext, 5: pq_ratchet } ‖ 8-byte MAC
 *   PreKeySignalMessage = version byte ‖ protobuf { 5: registration_id,
 *                         1: pre_key_id, 6: signed_pre_key_id, 7: kyber_pre_key_id,
 *                         8: kyber_ciphertext, 2: base_key, 3: identity_key,
 *                         4: message (a whole SignalMessage) }
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { CiphertextMessageType } from '@signalapp/libsignal-client';
import type { WireMessage } from '@sealpost/devkit/libsignal';

function fields(bytes: Uint8Array): Map<number, Uint8Array | number> {
  const out = new Map<number, Uint8Array | number>();
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, type] = reader.tag();
    if (type === WireType.LengthDelimited) out.set(no, reader.bytes());
    else if (type === WireType.Varint) out.set(no, reader.uint32());
    else reader.skip(type, no);
  }
  return out;
}

/** The embedded SignalMessage bytes (for PreKey messages) or the message itself. */
export function innerSignalMessage(message: WireMessage): Uint8Array {
  if (message.type !== CiphertextMessageType.PreKey) return message.bytes;
  const inner = fields(message.bytes.subarray(1)).get(4);
  if (!(inner instanceof Uint8Array)) throw new Error('PreKeySignalMessage without message');
  return inner;
}

/** Decoded header of a SignalMessage (the MAC's 8 bytes stripped). */
export function signalMessageHeader(signalMessage: Uint8Array): {
  version: number;
  ratchetKey: Uint8Array;
  counter: number;
  previousCounter: number;
  pqRatchetLength: number;
} {
  const f = fields(signalMessage.subarray(1, signalMessage.length - 8));
  const ratchetKey = f.get(1);
  if (!(ratchetKey instanceof Uint8Array)) throw new Error('SignalMessage without ratchet key');
  const pq = f.get(5);
  return {
    version: signalMessage[0]! >> 4,
    ratchetKey,
    counter: (f.get(2) as number | undefined) ?? 0,
    previousCounter: (f.get(3) as number | undefined) ?? 0,
    pqRatchetLength: pq instanceof Uint8Array ? pq.length : 0,
  };
}

/** Hex of the sender's ratchet key: names the sending chain a message belongs to. */
export function ratchetKeyHex(message: WireMessage): string {
  return Buffer.from(signalMessageHeader(innerSignalMessage(message)).ratchetKey).toString('hex');
}
