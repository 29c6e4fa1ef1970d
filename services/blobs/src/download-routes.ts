/**
 * Downloads: `GET`/`HEAD /v1/blobs/:key` with no authentication (the random
 * 120-bit key is the capability, as on Signal's CDN). Only complete,
 * unexpired blobs are served; a single `Range: bytes=…` gets 206. Bodies
 * are ciphertext, always `application/octet-stream`, never cached.
 */
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { withErrors } from '@sealpost/service-kit';
import type { BlobDirectory } from './blob-directory.ts';
import { BlobError } from './errors.ts';
import type { BlobSettings } from './settings.ts';
import { isExpired } from './sweeper.ts';

export interface DownloadDeps {
  dir: BlobDirectory;
  settings: BlobSettings;
  now: () => number;
}

/** A single byte range of a `length`-byte blob: [start, end] inclusive; undefined = whole; 'unsatisfiable'. */
export function parseRange(header: string | undefined, length: number): { start: number; end: number } | undefined | 'unsatisfiable' {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return undefined; // not one simple range: RFC 9110 lets us ignore it
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1);
  if (start >= length || start > end) return 'unsatisfiable';
  return { start, end };
}

export const keyParams = {
  type: 'object',
  required: ['key'],
  additionalProperties: false,
  properties: { key: { type: 'string', pattern: '^[A-Za-z0-9_-]{20}$', description: 'blob key: base64url of 15 random bytes' } },
} as const;

export function downloadRoutes(deps: DownloadDeps, tusHead: (request: import('fastify').FastifyRequest, reply: FastifyReply) => Promise<void>): FastifyPluginAsync {
  return async (app) => {
    const serve = async (key: string, rangeHeader: string | undefined, reply: FastifyReply, body: boolean): Promise<FastifyReply> => {
      const info = await deps.dir.info(key);
      if (info === undefined || !info.complete || isExpired(info, deps.settings, deps.now())) throw new BlobError(404, 'BLOB_NOT_FOUND', 'no such blob (absent, incomplete or expired)');
      reply.header('content-type', 'application/octet-stream').header('cache-control', 'private, no-store').header('accept-ranges', 'bytes');
      const range = parseRange(rangeHeader, info.length);
      if (range === 'unsatisfiable') {
        throw new BlobError(416, 'RANGE_NOT_SATISFIABLE', 'range not satisfiable', { headers: { 'content-range': `bytes */${info.length}` } });
      }
      const { start, end } = range ?? { start: 0, end: info.length - 1 };
      if (range !== undefined) reply.code(206).header('content-range', `bytes ${start}-${end}/${info.length}`);
      reply.header('content-length', String(Math.max(0, end - start + 1)));
      if (!body || info.length === 0) return reply.send();
      return reply.send(createReadStream(deps.dir.path(key), { start, end, highWaterMark: 256 * 1024 }));
    };
    const schema = {
      tags: ['blobs'],
      params: keyParams,
      headers: { type: 'object', properties: { range: { type: 'string', maxLength: 100 } } },
      response: withErrors({ 200: { description: 'the ciphertext', type: 'string', format: 'binary' }, 206: { description: 'a byte range of the ciphertext', type: 'string', format: 'binary' } }),
    };
    app.get('/v1/blobs/:key', { exposeHeadRoute: false, schema: { ...schema, summary: 'Download a complete blob (Range supported); no authentication' } }, async (request, reply) =>
      serve((request.params as { key: string }).key, request.headers.range, reply, true),
    );
    app.head('/v1/blobs/:key', { schema: { ...schema, summary: 'Blob length (download), or with Tus-Resumable the tus upload offset (capability required)' } }, async (request, reply) => {
      if (request.headers['tus-resumable'] !== undefined) return tusHead(request, reply);
      return serve((request.params as { key: string }).key, request.headers.range, reply, false);
    });
  };
}
