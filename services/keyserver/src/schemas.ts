/**
 * JSON schemas shared by the routes. Byte fields are standard padded base64
 * strings; the schemas bound their length (so oversized input is refused
 * before decoding) and the handlers decode them strictly (the kit's codec).
 * The error body and `withErrors` are the kit's.
 */
import { base64Length } from '@sealpost/service-kit';
import { EC_PUBLIC_KEY_LENGTH, KYBER1024_PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from './wire-keys.ts';
import { DEVICE_SECRET_LENGTH } from './device-secret.ts';

/** Most one-time keys of each kind one upload may carry (Signal's cap). */
export const MAX_KEYS_PER_UPLOAD = 100;

const b64 = (bytes: number, description: string) => ({ type: 'string', minLength: 1, maxLength: base64Length(bytes), description }) as const;

/** A prekey id: libsignal's u32. */
export const keyIdSchema = { type: 'integer', minimum: 0, maximum: 0xffffffff } as const;
/** A registration id: libsignal's 14-bit value, never 0. */
export const registrationIdSchema = { type: 'integer', minimum: 1, maximum: 0x3fff } as const;
/** A device id: 1..127 as libsignal's DeviceId. */
export const deviceIdSchema = { type: 'integer', minimum: 1, maximum: 127 } as const;
/** An account id: a lower-case UUID. */
export const accountIdSchema = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'account id (lower-case UUID; the ACI in sender certificates)',
} as const;

export const identityKeyField = b64(EC_PUBLIC_KEY_LENGTH, 'identity public key: base64 of 0x05 ‖ 32 bytes');
export const deviceSecretField = b64(DEVICE_SECRET_LENGTH, 'the device secret: base64 of 32 random bytes, sent only here and in Basic auth');

/** Body properties of a new device's initial keys (account creation and linking; signatures checked against the identity key). */
export const initialKeysProperties = {
  signedPreKey: { $ref: 'EcSignedPreKey#' },
  pqLastResortPreKey: { $ref: 'KyberSignedPreKey#' },
} as const;

/** The address of a created or linked device. */
export const deviceAddressSchema = {
  type: 'object',
  required: ['accountId', 'deviceId'],
  properties: { accountId: accountIdSchema, deviceId: deviceIdSchema },
} as const;

/** Shared component schemas, registered with `app.addSchema`. */
export const sharedSchemas = [
  {
    $id: 'EcPreKey',
    type: 'object',
    additionalProperties: false,
    required: ['keyId', 'publicKey'],
    properties: { keyId: keyIdSchema, publicKey: b64(EC_PUBLIC_KEY_LENGTH, 'base64 of 0x05 ‖ 32 bytes') },
  },
  {
    $id: 'EcSignedPreKey',
    type: 'object',
    additionalProperties: false,
    required: ['keyId', 'publicKey', 'signature'],
    properties: {
      keyId: keyIdSchema,
      publicKey: b64(EC_PUBLIC_KEY_LENGTH, 'base64 of 0x05 ‖ 32 bytes'),
      signature: b64(SIGNATURE_LENGTH, 'XEdDSA signature by the identity key over the serialized public key'),
    },
  },
  {
    $id: 'KyberSignedPreKey',
    type: 'object',
    additionalProperties: false,
    required: ['keyId', 'publicKey', 'signature'],
    properties: {
      keyId: keyIdSchema,
      publicKey: b64(KYBER1024_PUBLIC_KEY_LENGTH, 'base64 of 0x08 ‖ 1568 bytes (Kyber1024)'),
      signature: b64(SIGNATURE_LENGTH, 'XEdDSA signature by the identity key over the serialized public key'),
    },
  },
] as const;

/** Security requirement for Basic-authenticated routes (OpenAPI). */
export const basicAuth = [{ deviceBasic: [] }];
