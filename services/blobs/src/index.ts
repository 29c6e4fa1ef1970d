/** @sealpost/blobs: the encrypted-attachment blob service (standalone or mounted in the relay). */
export { buildBlobServer, type BlobServerOptions } from './app.ts';
export { blobService, type BlobServiceHandle, type BlobServiceOptions } from './plugin.ts';
export { DEFAULT_BLOB_SETTINGS, type BlobSettings, type BucketLimit } from './settings.ts';
export { BLOBS_CONFIG_SPEC, loadConfig, type BlobsStartConfig } from './config.ts';
export { parseRange } from './download-routes.ts';
export { TUS_PATH } from './tus-server.ts';
export type { BlobErrorCode } from './errors.ts';
export { openBlobSharedState, BLOBS_PG_MIGRATIONS, type BlobSharedState } from './shared-state.ts';
export { PgAdvisoryLocker } from './pg-locker.ts';
