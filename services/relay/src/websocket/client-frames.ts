/**
 * What a device may send on its WebSocket, and the decoder that checks every
 * frame against it before anything else looks at it. A frame that is not an
 * acknowledgement in exactly this shape is a protocol violation: the decoder
 * returns the close code the connection is closed with (it never throws, for
 * any content or size).
 *
 *   {"type":"ack","id":"<22 base64url>"}
 *   {"type":"ack","ids":["<22 base64url>", ...]}   (1..maxAckIds ids)
 */
import { Ajv } from 'ajv';
import type { RawData } from 'ws';

/** A decoded, valid client frame. */
export interface AckFrame {
  type: 'ack';
  ids: string[];
}

/** Why a frame was refused, and how the connection ends. */
export interface FrameViolation {
  /** WebSocket close code: 1003 (binary), 1007 (not JSON), 1008 (not a valid frame). */
  closeCode: 1003 | 1007 | 1008;
  /** Short reason (close frames allow 123 bytes). */
  message: string;
}

export type DecodedFrame = { ok: true; frame: AckFrame } | { ok: false; violation: FrameViolation };

const ENVELOPE_ID = '^[A-Za-z0-9_-]{22}$';

/** JSON schema of client frames (`maxAckIds` bounds the ids array). */
export function clientFrameSchema(maxAckIds: number) {
  return {
    type: 'object',
    required: ['type'],
    additionalProperties: false,
    properties: {
      type: { const: 'ack' },
      id: { type: 'string', pattern: ENVELOPE_ID },
      ids: { type: 'array', minItems: 1, maxItems: maxAckIds, items: { type: 'string', pattern: ENVELOPE_ID } },
    },
    oneOf: [{ required: ['id'] }, { required: ['ids'] }],
  } as const;
}

/** Builds the decoder for one relay (the schema is compiled once). */
export function clientFrameDecoder(maxAckIds: number): (data: RawData, isBinary: boolean) => DecodedFrame {
  const validate = new Ajv({ allErrors: false, coerceTypes: false, strict: true, strictRequired: false }).compile<{ type: 'ack'; id?: string; ids?: string[] }>(
    clientFrameSchema(maxAckIds),
  );
  const refuse = (closeCode: FrameViolation['closeCode'], message: string): DecodedFrame => ({ ok: false, violation: { closeCode, message } });
  return (data, isBinary) => {
    if (isBinary) return refuse(1003, 'binary frames are not accepted');
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return refuse(1007, 'frames must be JSON');
    }
    if (!validate(value)) {
      return refuse(1008, `not a valid frame: ack needs id or ids (1..${maxAckIds} envelope ids)`);
    }
    const ids = value.ids ?? [value.id!];
    return { ok: true, frame: { type: 'ack', ids: [...new Set(ids)] } };
  };
}
