/**
 * Signal's attachment format (`@sealpost/protocol/attachments`), pure and
 * platform-neutral: size buckets, the incremental MAC with libsignal's
 * chunk-size rule, and incremental encrypt/decrypt engines. Node streams
 * glue (async-iterable encryption, decryption into a committed-on-success
 * sink) is in ./stream.ts, exported here too.
 */
export { ATTACHMENT_IV_LENGTH, ATTACHMENT_KEY_LENGTH, ATTACHMENT_MAC_LENGTH, MIN_PADDED_SIZE, ciphertextSize, paddedSize } from './padding.ts';
export { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, incrementalChunkSize } from './chunk-size.ts';
export { IncrementalMacDigester, IncrementalMacValidator } from './incremental-mac.ts';
export { AttachmentEncryptor, generateAttachmentKeys, splitAttachmentKey, type EncryptedAttachmentInfo } from './encryptor.ts';
export { AttachmentDecryptor, type AttachmentDecryptParams } from './decryptor.ts';
export { AttachmentIntegrityError, type AttachmentIntegrityReason } from './errors.ts';
export { decryptAttachmentToSink, encryptAttachment, type ByteSource, type PlaintextSink } from './stream.ts';
