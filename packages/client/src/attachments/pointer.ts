/**
 * `AttachmentPointer` and `LinkPreview` as the app sees them, and their
 * protobuf form in Content (fields 13 and 14 of sealpost.content.v1).
 * Decoding copies every byte field and rejects malformed pointers with
 * `INVALID_DATA` (a 64-byte key, a 32-byte digest, a 20-character blob key,
 * an incremental MAC of whole 32-byte MACs with its chunk size).
 */
import { create } from '@bufbuild/protobuf';
import { isBlobKey } from '@sealpost/protocol';
import { AttachmentPointerSchema, PreviewSchema, type AttachmentPointer as AttachmentPointerProto, type Preview as PreviewProto } from '../gen/content_pb.ts';
import { ClientError } from '../errors.ts';

/** An encrypted attachment: where it is and what is needed to decrypt and verify it. */
export interface AttachmentPointer {
  /** Blob key on the blob service. */
  cdnKey: string;
  cdnNumber?: number;
  contentType: string;
  /** 64 bytes (AES-256 ‖ HMAC-SHA256). */
  key: Uint8Array;
  /** Plaintext size, bytes. */
  size: number;
  /** SHA-256 of the blob. */
  digest: Uint8Array;
  incrementalMac?: Uint8Array;
  chunkSize?: number;
  fileName?: string;
  flags?: number;
  width?: number;
  height?: number;
  caption?: string;
  blurHash?: string;
  uploadTimestamp?: number;
  /** A small thumbnail, itself an attachment. */
  thumbnail?: AttachmentPointer;
  plaintextHash?: Uint8Array;
}

/** A link preview made by the sender. */
export interface LinkPreview {
  url: string;
  title?: string;
  description?: string;
  image?: AttachmentPointer;
  /** ms since the epoch. */
  date?: number;
}

const bad = (message: string): never => {
  throw new ClientError('INVALID_DATA', message);
};

export function pointerToProto(p: AttachmentPointer, depth = 0): AttachmentPointerProto {
  if (!isBlobKey(p.cdnKey)) bad('attachment cdnKey must be a 20-character blob key');
  if (!(p.key instanceof Uint8Array) || p.key.length !== 64) bad('attachment key must be 64 bytes');
  if (!(p.digest instanceof Uint8Array) || p.digest.length !== 32) bad('attachment digest must be 32 bytes');
  if (!Number.isSafeInteger(p.size) || p.size < 0) bad('attachment size must be a non-negative integer');
  const m = create(AttachmentPointerSchema, {
    cdnKey: p.cdnKey,
    cdnNumber: p.cdnNumber ?? 0,
    contentType: p.contentType,
    key: p.key,
    size: BigInt(p.size),
    digest: p.digest,
    incrementalMac: p.incrementalMac ?? new Uint8Array(0),
    chunkSize: p.chunkSize ?? 0,
    fileName: p.fileName ?? '',
    flags: p.flags ?? 0,
    width: p.width ?? 0,
    height: p.height ?? 0,
    caption: p.caption ?? '',
    blurHash: p.blurHash ?? '',
    uploadTimestamp: BigInt(p.uploadTimestamp ?? 0),
    plaintextHash: p.plaintextHash ?? new Uint8Array(0),
  });
  if (p.thumbnail !== undefined) {
    if (depth > 0) bad('a thumbnail cannot have a thumbnail');
    m.thumbnail = pointerToProto(p.thumbnail, depth + 1);
  }
  return m;
}

export function pointerFromProto(m: AttachmentPointerProto, depth = 0): AttachmentPointer {
  if (!isBlobKey(m.cdnKey)) bad('attachment pointer has no valid blob key');
  if (m.key.length !== 64) bad('attachment pointer key is not 64 bytes');
  if (m.digest.length !== 32) bad('attachment pointer digest is not 32 bytes');
  if (m.size > BigInt(Number.MAX_SAFE_INTEGER)) bad('attachment pointer size out of range');
  const hasMac = m.incrementalMac.length > 0;
  if (hasMac && (m.incrementalMac.length % 32 !== 0 || m.chunkSize === 0)) bad('attachment pointer incremental MAC is malformed');
  if (m.plaintextHash.length !== 0 && m.plaintextHash.length !== 32) bad('attachment pointer plaintext hash is not 32 bytes');
  const p: AttachmentPointer = { cdnKey: m.cdnKey, contentType: m.contentType, key: m.key.slice(), size: Number(m.size), digest: m.digest.slice() };
  if (m.cdnNumber !== 0) p.cdnNumber = m.cdnNumber;
  if (hasMac) {
    p.incrementalMac = m.incrementalMac.slice();
    p.chunkSize = m.chunkSize;
  }
  if (m.fileName !== '') p.fileName = m.fileName;
  if (m.flags !== 0) p.flags = m.flags;
  if (m.width !== 0) p.width = m.width;
  if (m.height !== 0) p.height = m.height;
  if (m.caption !== '') p.caption = m.caption;
  if (m.blurHash !== '') p.blurHash = m.blurHash;
  if (m.uploadTimestamp !== 0n) p.uploadTimestamp = Number(m.uploadTimestamp);
  if (m.plaintextHash.length === 32) p.plaintextHash = m.plaintextHash.slice();
  if (m.thumbnail !== undefined) {
    if (depth > 0) bad('a thumbnail cannot have a thumbnail');
    p.thumbnail = pointerFromProto(m.thumbnail, depth + 1);
  }
  return p;
}

export function previewToProto(p: LinkPreview): PreviewProto {
  if (typeof p.url !== 'string' || !p.url.startsWith('https://')) bad('link preview url must be https');
  const m = create(PreviewSchema, { url: p.url, title: p.title ?? '', description: p.description ?? '', date: BigInt(p.date ?? 0) });
  if (p.image !== undefined) m.image = pointerToProto(p.image);
  return m;
}

export function previewFromProto(m: PreviewProto): LinkPreview {
  const p: LinkPreview = { url: m.url };
  if (m.title !== '') p.title = m.title;
  if (m.description !== '') p.description = m.description;
  if (m.date !== 0n && m.date <= BigInt(Number.MAX_SAFE_INTEGER)) p.date = Number(m.date);
  if (m.image !== undefined) p.image = pointerFromProto(m.image);
  return p;
}
