/**
 * The tus 1.0 upload side (@tus/server + @tus/file-store): creation,
 * creation-with-upload, expiration and termination under `/v1/blobs`.
 * Every request carries an upload capability (`Authorization: Bearer`)
 * signed by the key server; it names the blob key and the largest length.
 * Creation additionally checks, in order: the key is new (409), no
 * Upload-Metadata (400: no names are stored), the per-device rate and byte
 * quota (429), and the disk cap / free space (507).
 */
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';
import type { UploadCapability } from '@sealpost/protocol';
import type { BlobDirectory } from './blob-directory.ts';
import { BlobError, errorBody, type BlobErrorCode } from './errors.ts';
import { ExclusiveLocker } from './exclusive-locker.ts';
import type { BlobSettings } from './settings.ts';
import type { UploadQuota } from './upload-quota.ts';
import type { Locker } from '@tus/server';

export const TUS_PATH = '/v1/blobs';

/** What the tus hooks need. */
export interface TusDeps {
  dir: BlobDirectory;
  settings: BlobSettings;
  now: () => number;
  verify: (token: string, now: number) => UploadCapability | undefined;
  uploadRate: UploadQuota | undefined;
  uploadBytes: UploadQuota | undefined;
  /** Write locks per upload: in process by default, PostgreSQL advisory locks across instances. */
  locker?: Locker;
}

type TusRequest = { headers: { get(name: string): string | null }; method: string };

function reject(status: number, code: BlobErrorCode, message: string, headers?: Record<string, string>): never {
  throw new BlobError(status, code, message, headers && { headers });
}

function capabilityOf(req: TusRequest, deps: TusDeps): UploadCapability {
  const auth = req.headers.get('authorization') ?? '';
  const m = /^Bearer ([!-~]{1,512})$/.exec(auth);
  const cap = m === null ? undefined : deps.verify(m[1]!, deps.now());
  if (cap === undefined) reject(401, 'UNAUTHORIZED', 'missing, invalid or expired upload capability');
  return cap;
}

function uploadLengthOf(req: TusRequest): number {
  const text = req.headers.get('upload-length');
  if (text === null || !/^(0|[1-9][0-9]{0,15})$/.test(text)) reject(400, 'BAD_REQUEST', 'Upload-Length is required (deferred lengths are not supported)');
  return Number(text);
}

/**
 * Admission of a creation, run by the fastify route before tus sees the request (so a 429 carries
 * Retry-After): the capability, 413, no metadata, a new key, quotas, disk. Returns the capability.
 */
export async function admitCreation(req: TusRequest, deps: TusDeps): Promise<UploadCapability> {
  const cap = capabilityOf(req, deps);
  await checkCreation(req, cap, deps);
  return cap;
}

async function checkCreation(req: TusRequest, cap: UploadCapability, deps: TusDeps): Promise<void> {
  const length = uploadLengthOf(req);
  if (length > Math.min(cap.maxLength, deps.settings.maxBlobBytes)) reject(413, 'BLOB_TOO_LARGE', `Upload-Length ${length} exceeds ${Math.min(cap.maxLength, deps.settings.maxBlobBytes)}`);
  if (req.headers.get('upload-metadata') !== null) reject(400, 'BAD_REQUEST', 'Upload-Metadata is not accepted: the blob service stores no names');
  if (await deps.dir.exists(cap.blobKey)) reject(409, 'CONFLICT', 'this blob key is already used');
  const now = deps.now();
  for (const [buckets, cost, what] of [[deps.uploadRate, 1, 'uploads'], [deps.uploadBytes, length, 'upload bytes']] as const) {
    const wait = (await buckets?.take(cap.subject, cost, now)) ?? 0;
    if (wait > 0) {
      const seconds = String(Math.max(1, Math.ceil(wait / 1000)));
      reject(429, 'QUOTA_EXCEEDED', `too many ${what} from this device; retry in ${seconds} s`, { 'Retry-After': seconds });
    }
  }
  if ((await deps.dir.freeBytes()) - length < deps.settings.minFreeDiskBytes || !deps.dir.reserve(length, deps.settings.diskCapBytes)) {
    reject(507, 'INSUFFICIENT_STORAGE', 'the blob store is full; retry later');
  }
}

/** Maps tus's own plain-text errors to the uniform JSON body. */
function toJsonError(err: { status_code?: number; body?: string } | Error): { status_code: number; body: string } | undefined {
  if (!('status_code' in err) || typeof err.status_code !== 'number') return { status_code: 500, body: errorBody('INTERNAL', 'internal error') };
  const body = err.body ?? '';
  if (body.startsWith('{')) return { status_code: err.status_code, body };
  const code: BlobErrorCode =
    err.status_code === 409 ? 'CONFLICT' : err.status_code === 413 ? 'BLOB_TOO_LARGE' : err.status_code === 404 || err.status_code === 410 ? 'BLOB_NOT_FOUND' : err.status_code === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : err.status_code >= 500 ? 'INTERNAL' : 'TUS_ERROR';
  return { status_code: err.status_code === 410 ? 404 : err.status_code, body: errorBody(code, body.trim() || 'upload failed') };
}

/** The tus server, writing into `deps.dir`. */
export function createTusServer(deps: TusDeps): Server {
  const store = new FileStore({ directory: deps.dir.directory, expirationPeriodInMilliseconds: deps.settings.incompleteTtlMs });
  return new Server({
    path: TUS_PATH,
    datastore: store,
    locker: deps.locker ?? new ExclusiveLocker(),
    relativeLocation: true,
    respectForwardedHeaders: false,
    disableTerminationForFinishedUploads: false,
    // OPTIONS advertises the server maximum; every other request is checked against its capability.
    maxSize: (req) => {
      if (req.method === 'OPTIONS') return deps.settings.maxBlobBytes;
      return Math.min(capabilityOf(req, deps).maxLength, deps.settings.maxBlobBytes);
    },
    // Creations were admitted by `admitCreation` in the route; this only names the blob.
    namingFunction: (req) => capabilityOf(req, deps).blobKey,
    onIncomingRequest: async (req, id) => {
      if (req.method === 'POST') return; // checked in namingFunction, which tus runs first
      const cap = capabilityOf(req, deps);
      if (cap.blobKey !== id) reject(401, 'UNAUTHORIZED', 'this capability is for another blob');
    },
    onResponseError: async (_req, err) => {
      const mapped = toJsonError(err);
      if (mapped?.status_code === 500 && (isDiskFull(err) || (await deps.dir.freeBytes()) < deps.settings.minFreeDiskBytes)) {
        return { status_code: 507, body: errorBody('INSUFFICIENT_STORAGE', 'the blob store is full; retry later') };
      }
      return mapped;
    },
  });
}

/** True for a write the file system refused for want of space (ENOSPC, or EDQUOT under a quota), also when wrapped as a cause. */
function isDiskFull(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
