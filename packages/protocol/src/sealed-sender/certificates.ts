/**
 * Sealed-sender certificates in libsignal's format (v0.90.0):
 *
 * - `ServerCertificate { certificate = 1: bytes(Certificate { id = 1, key = 2 }), signature = 2 }`
 *   — a key server's certificate key, signed by an offline trust root.
 * - `SenderCertificate { certificate = 1: bytes(Certificate { senderE164 = 1,
 *   uuidString = 6 | uuidBytes = 7, senderDevice = 2, expires = 3 (fixed64 ms),
 *   identityKey = 4, certificate = 5 (embedded ServerCertificate) | id = 8 }), signature = 2 }`
 *   — a short-lived statement that a device of an account owns an identity key,
 *   signed by the server certificate's key.
 *
 * Signatures are XEdDSA over exactly the serialized inner `Certificate` bytes
 * (they are carried as a `bytes` field, so nobody re-encodes them). Validation
 * follows libsignal: the server certificate must be signed by a trusted root
 * and not revoked, the sender certificate by the server certificate's key,
 * and `now <= expires`.
 */
import { create, isFieldSet, toBinary } from '@bufbuild/protobuf';
import {
  SenderCertificate_CertificateSchema,
  SenderCertificateSchema,
  ServerCertificate_CertificateSchema,
  ServerCertificateSchema,
} from '../gen/sealed_sender_pb.ts';
import { checkBytes, isCanonicalUuid, uuidFromBytes, xeddsaSign, xeddsaVerify } from '../primitives/index.ts';
import { InvalidArgumentError, InvalidCertificateError } from '../errors.ts';
import { isSerializedCurvePublicKey, rawCurvePublicKey, serializeCurvePublicKey } from '../keys/curve-key.ts';
import { decodeProto } from '../error-mapping.ts';
import type { ServerCertificateCache } from './server-certificate-cache.ts';

/**
 * Server certificate key ids that are revoked whatever signed them.
 * libsignal revokes 0xDEADC357 (its test id for the revocation path).
 */
export const REVOKED_SERVER_CERTIFICATE_IDS: readonly number[] = [0xdeadc357];

/** A parsed (or freshly made) server certificate. */
export interface ServerCertificate {
  /** The certificate's key id. */
  keyId: number;
  /** The server's certificate public key, 33 bytes (0x05 ‖ u). */
  key: Uint8Array;
  /** The signed bytes: the serialized inner `Certificate`. */
  certificate: Uint8Array;
  /** The trust root's XEdDSA signature over `certificate`. */
  signature: Uint8Array;
  /** The whole serialized `ServerCertificate`. */
  serialized: Uint8Array;
}

/** A parsed (or freshly made) sender certificate. */
export interface SenderCertificate {
  /** The sender's service id (ACI UUID string). */
  senderUuid: string;
  /** The sender's phone number if the certificate carries one. */
  senderE164: string | undefined;
  /** The sender's device id (1..127). */
  senderDeviceId: number;
  /** The sender's identity public key, 33 bytes (0x05 ‖ u). */
  identityKey: Uint8Array;
  /** Expiry, ms since the Unix epoch. */
  expires: number;
  /** The embedded signing certificate, or the id of a certificate the validator must already know. */
  signer: { embedded: ServerCertificate } | { keyId: number };
  /** The signed bytes: the serialized inner `Certificate`. */
  certificate: Uint8Array;
  /** The server certificate key's XEdDSA signature over `certificate`. */
  signature: Uint8Array;
  /** The whole serialized `SenderCertificate`. */
  serialized: Uint8Array;
}

function checkUint32(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`${name} must be a uint32, got ${n}`);
  return n;
}

function checkDeviceId(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 127) throw new InvalidArgumentError(`sender device id must be 1..127, got ${n}`);
  return n;
}

/** Parses a 33-byte serialized Curve25519 key (libsignal's `PublicKey::try_from`, minus trailing bytes). */
function serializedKey(what: string, bytes: Uint8Array): Uint8Array {
  if (!isSerializedCurvePublicKey(bytes)) throw new InvalidCertificateError(`${what} is not a 33-byte 0x05-prefixed key`);
  return bytes.slice();
}

/** Inputs of `createServerCertificate`. */
export interface NewServerCertificate {
  keyId: number;
  /** The server certificate public key (raw 32 or 0x05-prefixed 33 bytes). */
  serverPublicKey: Uint8Array;
  /** The trust root's private key (32 bytes). */
  trustRootPrivateKey: Uint8Array;
  /** Explicit XEdDSA randomness (64 bytes) for reproducible output; fresh when absent. */
  random64?: Uint8Array;
}

/** Makes a server certificate signed by the trust root (libsignal `ServerCertificate::new`). */
export function createServerCertificate(input: NewServerCertificate): ServerCertificate {
  const keyId = checkUint32('keyId', input.keyId);
  const key = serializeCurvePublicKey(rawCurvePublicKey('serverPublicKey', input.serverPublicKey));
  checkBytes('trustRootPrivateKey', input.trustRootPrivateKey, 32);
  const certificate = toBinary(ServerCertificate_CertificateSchema, create(ServerCertificate_CertificateSchema, { id: keyId, key }));
  const signature = xeddsaSign(input.trustRootPrivateKey, certificate, input.random64);
  const serialized = toBinary(ServerCertificateSchema, create(ServerCertificateSchema, { certificate, signature }));
  return { keyId, key, certificate, signature, serialized };
}

/** Parses a serialized `ServerCertificate`; throws `INVALID_CERTIFICATE` when malformed. Does not validate. */
export function parseServerCertificate(bytes: Uint8Array): ServerCertificate {
  checkBytes('server certificate', bytes);
  const outer = decodeProto(ServerCertificateSchema, bytes, 'server certificate', InvalidCertificateError);
  if (!isFieldSet(outer, ServerCertificateSchema.field.certificate) || !isFieldSet(outer, ServerCertificateSchema.field.signature)) {
    throw new InvalidCertificateError('server certificate lacks certificate or signature');
  }
  const inner = decodeProto(ServerCertificate_CertificateSchema, outer.certificate, 'server certificate', InvalidCertificateError);
  if (!isFieldSet(inner, ServerCertificate_CertificateSchema.field.id) || !isFieldSet(inner, ServerCertificate_CertificateSchema.field.key)) {
    throw new InvalidCertificateError('server certificate lacks id or key');
  }
  return {
    keyId: inner.id,
    key: serializedKey('server certificate key', inner.key),
    certificate: outer.certificate.slice(),
    signature: outer.signature.slice(),
    serialized: bytes.slice(),
  };
}

/** True when `cert` is signed by `trustRoot` (raw 32 or 33 bytes) and its id is not revoked. */
export function serverCertificateIsValid(cert: ServerCertificate, trustRoot: Uint8Array): boolean {
  if (REVOKED_SERVER_CERTIFICATE_IDS.includes(cert.keyId)) return false;
  if (cert.signature.length !== 64) return false;
  return xeddsaVerify(rawCurvePublicKey('trustRoot', trustRoot), cert.certificate, cert.signature);
}

/** Inputs of `createSenderCertificate`. */
export interface NewSenderCertificate {
  /** The sender's ACI (lower-case UUID string). */
  senderUuid: string;
  senderE164?: string;
  senderDeviceId: number;
  /** The sender's identity public key (raw 32 or 0x05-prefixed 33 bytes). */
  identityKey: Uint8Array;
  /** Expiry, ms since the Unix epoch. */
  expires: number;
  /** The signing server certificate (parsed, or its serialized bytes). */
  serverCertificate: ServerCertificate | Uint8Array;
  /** The server certificate's private key (32 bytes). */
  serverPrivateKey: Uint8Array;
  /** Embed the server certificate (default) or name it by id (clients must know it). */
  embedSigner?: boolean;
  /** Explicit XEdDSA randomness (64 bytes); fresh when absent. */
  random64?: Uint8Array;
}

/** Makes a sender certificate signed by the server certificate's key (libsignal `SenderCertificate::new`). */
export function createSenderCertificate(input: NewSenderCertificate): SenderCertificate {
  if (typeof input.senderUuid !== 'string' || !isCanonicalUuid(input.senderUuid)) {
    throw new InvalidArgumentError('senderUuid must be a lower-case UUID string');
  }
  const senderDeviceId = checkDeviceId(input.senderDeviceId);
  if (!Number.isSafeInteger(input.expires) || input.expires < 0) throw new InvalidArgumentError('expires must be a non-negative integer (ms)');
  const identityKey = serializeCurvePublicKey(rawCurvePublicKey('identityKey', input.identityKey));
  checkBytes('serverPrivateKey', input.serverPrivateKey, 32);
  const server =
    input.serverCertificate instanceof Uint8Array ? parseServerCertificate(input.serverCertificate) : input.serverCertificate;
  const embed = input.embedSigner ?? true;
  const certificate = toBinary(
    SenderCertificate_CertificateSchema,
    create(SenderCertificate_CertificateSchema, {
      senderUuid: { case: 'uuidString', value: input.senderUuid },
      ...(input.senderE164 === undefined ? {} : { senderE164: input.senderE164 }),
      senderDevice: senderDeviceId,
      expires: BigInt(input.expires),
      identityKey,
      signer: embed ? { case: 'certificate', value: server.serialized } : { case: 'id', value: server.keyId },
    }),
  );
  const signature = xeddsaSign(input.serverPrivateKey, certificate, input.random64);
  const serialized = toBinary(SenderCertificateSchema, create(SenderCertificateSchema, { certificate, signature }));
  return {
    senderUuid: input.senderUuid,
    senderE164: input.senderE164,
    senderDeviceId,
    identityKey,
    expires: input.expires,
    signer: embed ? { embedded: server } : { keyId: server.keyId },
    certificate,
    signature,
    serialized,
  };
}

/** Parses a serialized `SenderCertificate`; throws `INVALID_CERTIFICATE` when malformed. Does not validate. */
export function parseSenderCertificate(bytes: Uint8Array): SenderCertificate {
  checkBytes('sender certificate', bytes);
  const outer = decodeProto(SenderCertificateSchema, bytes, 'sender certificate', InvalidCertificateError);
  if (!isFieldSet(outer, SenderCertificateSchema.field.certificate) || !isFieldSet(outer, SenderCertificateSchema.field.signature)) {
    throw new InvalidCertificateError('sender certificate lacks certificate or signature');
  }
  const inner = decodeProto(SenderCertificate_CertificateSchema, outer.certificate, 'sender certificate', InvalidCertificateError);
  const f = SenderCertificate_CertificateSchema.field;
  if (!isFieldSet(inner, f.senderDevice) || inner.senderDevice < 1 || inner.senderDevice > 127) {
    throw new InvalidCertificateError('sender certificate lacks a valid device id');
  }
  if (!isFieldSet(inner, f.expires)) throw new InvalidCertificateError('sender certificate lacks expires');
  if (!isFieldSet(inner, f.identityKey)) throw new InvalidCertificateError('sender certificate lacks identity key');
  let senderUuid: string;
  if (inner.senderUuid.case === 'uuidString') senderUuid = inner.senderUuid.value;
  else if (inner.senderUuid.case === 'uuidBytes' && inner.senderUuid.value.length === 16) senderUuid = uuidFromBytes(inner.senderUuid.value);
  else throw new InvalidCertificateError('sender certificate lacks a sender uuid');
  let signer: SenderCertificate['signer'];
  if (inner.signer.case === 'certificate') signer = { embedded: parseServerCertificate(inner.signer.value) };
  else if (inner.signer.case === 'id') signer = { keyId: inner.signer.value };
  else throw new InvalidCertificateError('sender certificate lacks a signer');
  // Expiry beyond 2^53 ms cannot be represented exactly; clamp (it is ~285,000 years away).
  const expires = inner.expires > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(inner.expires);
  return {
    senderUuid,
    senderE164: isFieldSet(inner, f.senderE164) ? inner.senderE164 : undefined,
    senderDeviceId: inner.senderDevice,
    identityKey: serializedKey('sender identity key', inner.identityKey),
    expires,
    signer,
    certificate: outer.certificate.slice(),
    signature: outer.signature.slice(),
    serialized: bytes.slice(),
  };
}

/** Options for sender certificate validation. */
export interface SenderCertificateValidation {
  /** Server certificates a sender certificate may name by id instead of embedding. */
  knownServerCertificates?: ReadonlyMap<number, ServerCertificate>;
  /**
   * Server certificates already validated against a trust root: a hit skips
   * that XEdDSA verify, a successful validation is added. Same answers as without.
   */
  serverCertificateCache?: ServerCertificateCache;
}

/** True when `signer` chains to one of `roots`, consulting and filling `cache` if given. */
function signerIsTrusted(signer: ServerCertificate, roots: readonly Uint8Array[], cache: ServerCertificateCache | undefined): boolean {
  if (cache !== undefined && roots.some((root) => cache.has(signer, root))) return true;
  let anyValid = false;
  for (const root of roots) {
    const valid = serverCertificateIsValid(signer, root);
    if (valid) cache?.add(signer, root);
    anyValid = valid || anyValid;
  }
  return anyValid;
}

/**
 * libsignal's `SenderCertificate::validate_with_trust_roots`: true when the
 * signer is signed by one of `trustRoots` (every root is tried, so timing does
 * not tell which matched; a `serverCertificateCache` hit skips that step),
 * the certificate is signed by the signer's key and `now <= expires`.
 */
export function senderCertificateIsValid(
  cert: SenderCertificate,
  trustRoots: Uint8Array | readonly Uint8Array[],
  now: number,
  options: SenderCertificateValidation = {},
): boolean {
  const signer = 'embedded' in cert.signer ? cert.signer.embedded : options.knownServerCertificates?.get(cert.signer.keyId);
  if (signer === undefined) return false;
  const roots = trustRoots instanceof Uint8Array ? [trustRoots] : trustRoots;
  if (!signerIsTrusted(signer, roots, options.serverCertificateCache)) return false;
  if (cert.signature.length !== 64 || !xeddsaVerify(rawCurvePublicKey('server key', signer.key), cert.certificate, cert.signature)) return false;
  return !(now > cert.expires);
}

/**
 * Parses and validates a serialized sender certificate; returns it, or throws
 * `INVALID_CERTIFICATE` saying why not.
 */
export function checkSenderCertificate(
  bytes: Uint8Array,
  trustRoots: Uint8Array | readonly Uint8Array[],
  now: number,
  options: SenderCertificateValidation = {},
): SenderCertificate {
  const cert = parseSenderCertificate(bytes);
  if (!senderCertificateIsValid(cert, trustRoots, now, options)) {
    throw new InvalidCertificateError(now > cert.expires ? 'sender certificate expired' : 'sender certificate is not signed by a trusted server');
  }
  return cert;
}
