/**
 * The tus 1.0 client side and the Range download, over the platform fetch
 * (modelled on Signal-Desktop's tusProtocol: creation-with-upload streaming
 * the ciphertext, then HEAD + PATCH from the server's offset after a broken
 * connection). Upload bodies go through node:http with write/drain
 * backpressure: undici's fetch drains an async-iterable body as fast as it
 * can produce it (measured: +342 MiB RSS for a 256 MiB upload), so memory
 * would grow with the file. Downloads continue a broken transfer with `Range`, feeding
 * the same verifier, so nothing is read twice.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AttachmentError, attachmentErrorForStatus } from './errors.ts';

/** Progress of one transfer. */
export interface TransferProgress {
  phase: 'upload' | 'download';
  done: number;
  total: number;
}

export interface TransferOptions {
  signal?: AbortSignal;
  onProgress?: (p: TransferProgress) => void;
  /** Connection attempts before giving up with NETWORK (default 5). */
  maxAttempts?: number;
  /** First retry delay, ms (doubles each time; default 200). */
  retryDelayMs?: number;
}

const TUS = { 'tus-resumable': '1.0.0' };

function retryAfterOf(r: Response): number | undefined {
  const n = Number(r.headers.get('retry-after'));
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

async function* counting(body: AsyncIterable<Uint8Array>, start: number, total: number, opts: TransferOptions): AsyncGenerator<Uint8Array> {
  let done = start;
  for await (const chunk of body) {
    yield chunk;
    done += chunk.length;
    opts.onProgress?.({ phase: 'upload', done, total });
  }
}

/** One request with a streamed body and backpressure; resolves with the status and headers (body discarded). */
function sendStreaming(
  url: string,
  method: 'POST' | 'PATCH',
  headers: Record<string, string>,
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method, headers, ...(signal && { signal }) }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    (async () => {
      for await (const chunk of body) {
        if (req.destroyed) return;
        if (!req.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              req.off('drain', done);
              req.off('close', done);
              resolve();
            };
            req.on('drain', done);
            req.on('close', done);
          });
        }
      }
      req.end();
    })().catch((e: unknown) => {
      req.destroy(e as Error);
      reject(e);
    });
  });
}

/** What `uploadBlob` needs. */
export interface UploadJob {
  blobUrl: string;
  blobKey: string;
  token: string;
  length: number;
  /** The blob bytes from `offset` on; undefined when the source cannot be read again. */
  body(offset: number): AsyncIterable<Uint8Array> | undefined;
}

/**
 * Uploads (or finishes uploading) a blob; resolves when the server holds all
 * `length` bytes. `probeFirst`: ask the server for its offset before sending
 * (a resume after a restart; the upload may or may not exist there).
 */
export async function uploadBlob(job: UploadJob, opts: TransferOptions = {}, probeFirst = false): Promise<void> {
  const maxAttempts = opts.maxAttempts ?? 5;
  const auth = { ...TUS, authorization: `Bearer ${job.token}` };
  const url = `${job.blobUrl}/v1/blobs/${job.blobKey}`;
  let created = false;
  for (let attempt = 1; ; attempt++) {
    if (aborted(opts.signal)) throw new AttachmentError('ABORTED', 'upload aborted');
    try {
      let offset = 0;
      if (created || probeFirst || attempt > 1) {
        const head = await fetch(url, { method: 'HEAD', headers: auth, signal: opts.signal ?? null });
        // 404: the creation never reached the server (or an unfinished upload was swept): create it (again).
        if (head.status === 404) created = false;
        else if (head.status === 423) throw new TypeError('upload still locked by the broken connection');
        else if (head.status !== 200) throw attachmentErrorForStatus(head.status, 'upload resume');
        else {
          created = true;
          offset = Number(head.headers.get('upload-offset'));
          if (offset === job.length) return;
        }
      }
      const body = job.body(offset);
      if (body === undefined) throw new AttachmentError('NETWORK', 'the connection broke and a stream source cannot be read again; upload a file or buffer to resume');
      const headers: Record<string, string> = created
        ? { ...auth, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(job.length - offset) }
        : { ...auth, 'upload-length': String(job.length), 'content-type': 'application/offset+octet-stream', 'content-length': String(job.length) };
      const res = await sendStreaming(created ? url : `${job.blobUrl}/v1/blobs`, created ? 'PATCH' : 'POST', headers, counting(body, offset, job.length, opts), opts.signal);
      if (res.status === 201 || res.status === 204) {
        created = true;
        if (Number(res.headers['upload-offset']) === job.length) return;
        continue;
      }
      if (res.status === 409 || res.status === 423) continue; // offset moved or a stale writer: HEAD again
      const retryAfter = Number(res.headers['retry-after']);
      throw attachmentErrorForStatus(res.status, 'upload', Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
    } catch (e) {
      if (e instanceof AttachmentError) throw e;
      if (aborted(opts.signal)) throw new AttachmentError('ABORTED', 'upload aborted', { cause: e });
      if (attempt >= maxAttempts) throw new AttachmentError('NETWORK', `upload failed after ${attempt} attempts: ${(e as Error).message}`, { cause: e });
      await pause((opts.retryDelayMs ?? 200) * 2 ** (attempt - 1), opts.signal);
    }
  }
}

/**
 * Streams a blob of exactly `length` bytes from byte `start` (a Range
 * request when `start` > 0), reconnecting with Range after a break.
 */
export async function* downloadBlob(blobUrl: string, blobKey: string, length: number, opts: TransferOptions = {}, start = 0): AsyncGenerator<Uint8Array> {
  const maxAttempts = opts.maxAttempts ?? 5;
  if (!Number.isSafeInteger(start) || start < 0 || start > length) throw new AttachmentError('INVALID', `download start ${start} outside the blob (0..${length})`);
  if (start === length && start > 0) return;
  let received = start;
  for (let attempt = 1; received < length || attempt === 1; attempt++) {
    if (aborted(opts.signal)) throw new AttachmentError('ABORTED', 'download aborted');
    let res: Response;
    try {
      res = await fetch(`${blobUrl}/v1/blobs/${blobKey}`, { headers: received > 0 ? { range: `bytes=${received}-` } : {}, signal: opts.signal ?? null });
    } catch (e) {
      if (aborted(opts.signal)) throw new AttachmentError('ABORTED', 'download aborted', { cause: e });
      if (attempt >= maxAttempts) throw new AttachmentError('NETWORK', `download failed after ${attempt} attempts: ${(e as Error).message}`, { cause: e });
      await pause((opts.retryDelayMs ?? 200) * 2 ** (attempt - 1), opts.signal);
      continue;
    }
    if (res.status !== (received > 0 ? 206 : 200)) {
      await res.arrayBuffer().catch(() => undefined);
      throw attachmentErrorForStatus(res.status, 'download', retryAfterOf(res));
    }
    const announced = Number(res.headers.get('content-length'));
    if (announced !== length - received) {
      await res.body?.cancel().catch(() => undefined);
      throw new AttachmentError('TAMPERED', `blob service announced ${announced} bytes, the pointer implies ${length - received}`, { reason: 'LENGTH' });
    }
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (received + chunk.length > length) throw new AttachmentError('TAMPERED', 'blob is longer than the pointer implies', { reason: 'LENGTH' });
        received += chunk.length;
        yield chunk;
        opts.onProgress?.({ phase: 'download', done: received, total: length });
      }
    } catch (e) {
      if (e instanceof AttachmentError) throw e;
      if (aborted(opts.signal)) throw new AttachmentError('ABORTED', 'download aborted', { cause: e });
      if (attempt >= maxAttempts) throw new AttachmentError('NETWORK', `download failed after ${attempt} attempts: ${(e as Error).message}`, { cause: e });
      await pause((opts.retryDelayMs ?? 200) * 2 ** (attempt - 1), opts.signal);
    }
    if (length === 0) return;
  }
}
