import type { ServerResponse } from 'node:http';
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkPreviewError, fetchLinkPreview, type LinkPreviewOptions } from '../../src/media/index.ts';
import {
  makeCertificate,
  startConnectProxy,
  startHttpsSite,
  startSilentServer,
  type ConnectProxy,
  type HttpsSite,
  type TestCertificate,
} from './support/local-sites.ts';

const PAGE = `<!doctype html><html><head>
<meta charset="utf-8"><title>Fallback title</title>
<meta property="og:title" content="Sealpost &amp; friends">
<meta property="og:description" content="  End to end
  encrypted previews  ">
<meta property="og:image" content="/photo.jpg">
</head><body><p>body</p></body></html>`;

let certificate: TestCertificate;
let site: HttpsSite;
let photo: Buffer;
let silent: { port: number; close(): Promise<void> };
let proxy: ConnectProxy;
let refusingProxy: ConnectProxy;
/** Bytes the endless handler wrote, and whether the client hung up. */
const endless = { written: 0, closed: Promise.resolve() };

function html(res: ServerResponse, body: string, type = 'text/html; charset=utf-8'): void {
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}

function redirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { location }).end();
}

/** Writes `head` then filler forever (respecting backpressure) until the client goes away. */
function writeForever(res: ServerResponse, type: string, head: string): void {
  res.writeHead(200, { 'content-type': type });
  const filler = Buffer.alloc(16 * 1024, '<meta name="x" content="filler">'.repeat(4));
  endless.written = 0;
  endless.closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
  let open = true;
  res.on('close', () => {
    open = false;
  });
  res.write(head);
  const pump = () => {
    while (open) {
      endless.written += filler.length;
      if (!res.write(filler)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

function options(extra: LinkPreviewOptions = {}): LinkPreviewOptions {
  return { allowPrivateHosts: ['127.0.0.1'], ca: certificate.cert, timeoutMs: 8000, ...extra };
}

async function failure(p: Promise<unknown>): Promise<LinkPreviewError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LinkPreviewError);
  return e as LinkPreviewError;
}

beforeAll(async () => {
  certificate = await makeCertificate();
  photo = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#3060c0' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'site-owner' }, IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '33/1 52/1 0/1' } })
    .toBuffer();
  site = await startHttpsSite(certificate, {
    '/page': (_q, res) => html(res, PAGE),
    '/photo.jpg': (_q, res) => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length }).end(photo),
    '/plain': (_q, res) => html(res, '<html><head><title>\n Plain  page </title><meta name="description" content="described"></head></html>'),
    '/latin1': (_q, res) => {
      const body = Buffer.from('<html><head><title>Caf\u00e9 cr\u00e8me</title></head></html>', 'latin1');
      res.writeHead(200, { 'content-type': 'text/html; charset=iso-8859-1' }).end(body);
    },
    '/meta-charset': (_q, res) => {
      const body = Buffer.from('<html><head><meta charset="windows-1252"><title>Na\u00efve \u00fcber</title></head></html>', 'latin1');
      res.writeHead(200, { 'content-type': 'text/html' }).end(body);
    },
    '/no-title': (_q, res) => html(res, '<html><head><meta name="x" content="y"></head><body>hi</body></html>'),
    '/json': (_q, res) => html(res, '{"title":"x"}', 'application/json'),
    '/gzip': (_q, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end('xx'),
    '/missing-image': (_q, res) => html(res, '<html><head><title>T</title><meta property="og:image" content="/nothing.jpg"></head></html>'),
    '/http-image': (_q, res, origin) =>
      html(res, `<html><head><title>T</title><meta property="og:image" content="${origin.replace('https:', 'http:')}/photo.jpg"></head></html>`),
    '/endless-image-page': (_q, res) => html(res, '<html><head><title>T</title><meta property="og:image" content="/endless.jpg"></head></html>'),
    '/endless.jpg': (_q, res) => writeForever(res, 'image/jpeg', ''),
    '/big-image-page': (_q, res) => html(res, '<html><head><title>T</title><meta property="og:image" content="/declared-big.jpg"></head></html>'),
    '/declared-big.jpg': (_q, res) => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 50_000_000 }).end(),
    '/endless': (_q, res) => writeForever(res, 'text/html', '<html><head><title>Endless</title>'),
    '/title-past-cap': (_q, res) => writeForever(res, 'text/html', '<html><head>'),
    '/hang': () => {},
    '/to-http': (_q, res, origin) => redirect(res, `${origin.replace('https:', 'http:')}/page`),
    '/to-file': (_q, res) => redirect(res, 'file:///etc/passwd'),
    '/to-private': (_q, res) => redirect(res, `https://127.0.0.2:${site.port}/page`, 301),
    '/to-localhost': (_q, res) => redirect(res, `https://localhost:${site.port}/page`, 307),
    '/to-metadata-ip': (_q, res) => redirect(res, 'https://169.254.169.254/latest/meta-data/', 308),
    ...Object.fromEntries(
      Array.from({ length: 6 }, (_, n) => [`/hop/${n}`, (_q: unknown, res: ServerResponse) => redirect(res, n === 0 ? '/page' : `/hop/${n - 1}`)]),
    ),
  });
  silent = await startSilentServer();
  proxy = await startConnectProxy();
  refusingProxy = await startConnectProxy({ refuse: true });
});

afterAll(async () => {
  await Promise.all([site?.close(), silent?.close(), proxy?.close(), refusingProxy?.close()]);
});

describe('fetchLinkPreview: extraction', () => {
  it('extracts Open Graph title, description and image, and returns the image re-encoded without EXIF', async () => {
    expect(exifReader((await sharp(photo).metadata()).exif!).GPSInfo?.GPSLatitudeRef).toBe('S');
    const preview = await fetchLinkPreview(`${site.origin}/page`, options());
    expect(preview.url).toBe(`${site.origin}/page`);
    expect(preview.title).toBe('Sealpost & friends');
    expect(preview.description).toBe('End to end encrypted previews');
    expect(preview.imageError).toBeUndefined();
    expect(preview.image).toBeDefined();
    const image = preview.image!;
    expect([image.width, image.height, image.contentType]).toEqual([800, 400, 'image/jpeg']);
    expect([image.thumbnail.width, image.thumbnail.height]).toEqual([256, 128]);
    expect((await sharp(image.data).metadata()).exif).toBeUndefined();
    expect(image.data.includes('site-owner')).toBe(false);
    expect(image.blurhash.length).toBeGreaterThan(6);
  });

  it('falls back to <title> and meta description, and decodes the charset of Content-Type or <meta charset>', async () => {
    const plain = await fetchLinkPreview(`${site.origin}/plain`, options());
    expect([plain.title, plain.description, plain.image]).toEqual(['Plain page', 'described', undefined]);
    expect((await fetchLinkPreview(`${site.origin}/latin1`, options())).title).toBe('Café crème');
    expect((await fetchLinkPreview(`${site.origin}/meta-charset`, options())).title).toBe('Naïve über');
  });

  it('refuses a page without a title, a non-HTML answer, a compressed body and an error status', async () => {
    expect((await failure(fetchLinkPreview(`${site.origin}/no-title`, options()))).code).toBe('PREVIEW_NO_METADATA');
    expect((await failure(fetchLinkPreview(`${site.origin}/json`, options()))).code).toBe('PREVIEW_CONTENT_TYPE');
    expect((await failure(fetchLinkPreview(`${site.origin}/gzip`, options()))).code).toBe('PREVIEW_CONTENT_TYPE');
    const missing = await failure(fetchLinkPreview(`${site.origin}/absent`, options()));
    expect(missing.code).toBe('PREVIEW_HTTP_STATUS');
    expect(missing.message).toContain('404');
  });

  it('keeps the preview but reports a typed imageError when the image fails', async () => {
    const missing = await fetchLinkPreview(`${site.origin}/missing-image`, options());
    expect([missing.title, missing.image, missing.imageError?.code]).toEqual(['T', undefined, 'PREVIEW_HTTP_STATUS']);
    const plainHttp = await fetchLinkPreview(`${site.origin}/http-image`, options());
    expect(plainHttp.imageError?.code).toBe('PREVIEW_URL_REFUSED');
  });

  it('checks the TLS certificate (no trusted CA: network error)', async () => {
    const e = await failure(fetchLinkPreview(`${site.origin}/page`, { allowPrivateHosts: ['127.0.0.1'], timeoutMs: 5000 }));
    expect(e.code).toBe('PREVIEW_NETWORK');
    expect(e.message).toMatch(/certificate/i);
  });

  it('connects by host name to its checked address, with SNI and the certificate check on the name', async () => {
    const preview = await fetchLinkPreview(`https://localhost:${site.port}/plain`, options({ allowPrivateHosts: ['localhost'] }));
    expect(preview.title).toBe('Plain page');
  });
});

describe('fetchLinkPreview: refused destinations', () => {
  it('refuses http: and other schemes before any connection', async () => {
    const before = site.requests.length;
    for (const url of [`http://127.0.0.1:${site.port}/page`, 'file:///etc/passwd', 'ftp://example.com/', 'data:text/html,<title>x</title>', 'javascript:alert(1)', 'not a url']) {
      expect((await failure(fetchLinkPreview(url, options()))).code).toBe('PREVIEW_URL_REFUSED');
    }
    expect((await failure(fetchLinkPreview(`https://user:pw@127.0.0.1:${site.port}/page`, options()))).code).toBe('PREVIEW_URL_REFUSED');
    expect(site.requests.length).toBe(before);
  });

  it('refuses private, loopback, link-local and mapped addresses unless the host is explicitly allowed', async () => {
    for (const host of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '169.254.169.254', '[::1]', '[fe80::1]', '[::ffff:127.0.0.1]', '[fd00::1]', '100.64.0.1', '0.0.0.0']) {
      const e = await failure(fetchLinkPreview(`https://${host}:${site.port}/page`, { ca: certificate.cert, timeoutMs: 5000 }));
      expect(e.code, host).toBe('PREVIEW_DESTINATION_BLOCKED');
    }
  });

  it('sees through numeric spellings of loopback (decimal, hex, short forms)', async () => {
    for (const host of ['2130706433', '0x7f.1', '127.1', '0177.0.0.1']) {
      const e = await failure(fetchLinkPreview(`https://${host}:${site.port}/page`, { ca: certificate.cert, timeoutMs: 5000 }));
      expect(e.code, host).toBe('PREVIEW_DESTINATION_BLOCKED');
      expect(e.url).toBe(`https://127.0.0.1:${site.port}/page`);
    }
  });

  it('checks the address a host name resolves to (localhost resolves to loopback: blocked)', async () => {
    const e = await failure(fetchLinkPreview(`https://localhost:${site.port}/page`, { ca: certificate.cert, timeoutMs: 5000 }));
    expect(e.code).toBe('PREVIEW_DESTINATION_BLOCKED');
    expect(e.message).toMatch(/127\.0\.0\.1|::1/);
  });

  it('re-checks every redirect hop: to http:, to file:, to a private address, to a name resolving to loopback', async () => {
    expect((await failure(fetchLinkPreview(`${site.origin}/to-http`, options()))).code).toBe('PREVIEW_URL_REFUSED');
    expect((await failure(fetchLinkPreview(`${site.origin}/to-file`, options()))).code).toBe('PREVIEW_URL_REFUSED');
    const priv = await failure(fetchLinkPreview(`${site.origin}/to-private`, options()));
    expect(priv.code).toBe('PREVIEW_DESTINATION_BLOCKED');
    expect(priv.url).toBe(`https://127.0.0.2:${site.port}/page`);
    expect((await failure(fetchLinkPreview(`${site.origin}/to-localhost`, options()))).code).toBe('PREVIEW_DESTINATION_BLOCKED');
    expect((await failure(fetchLinkPreview(`${site.origin}/to-metadata-ip`, options()))).code).toBe('PREVIEW_DESTINATION_BLOCKED');
  });

  it('follows redirects up to the limit and refuses a chain over it', async () => {
    const ok = await fetchLinkPreview(`${site.origin}/hop/3`, options({ maxRedirects: 4, fetchImage: false }));
    expect(ok.title).toBe('Sealpost & friends');
    expect(ok.url).toBe(`${site.origin}/hop/3`);
    const e = await failure(fetchLinkPreview(`${site.origin}/hop/5`, options({ maxRedirects: 4 })));
    expect(e.code).toBe('PREVIEW_TOO_MANY_REDIRECTS');
  });
});

describe('fetchLinkPreview: bounds', () => {
  it('stops reading an endless page at the cap and hangs up', async () => {
    const cap = 64 * 1024;
    const preview = await fetchLinkPreview(`${site.origin}/endless`, options({ maxHtmlBytes: cap }));
    expect(preview.title).toBe('Endless');
    await endless.closed;
    expect(endless.written).toBeGreaterThan(cap);
  });

  it('parses nothing past the cap (a title after it is not seen)', async () => {
    const e = await failure(fetchLinkPreview(`${site.origin}/title-past-cap`, options({ maxHtmlBytes: 32 * 1024 })));
    expect(e.code).toBe('PREVIEW_NO_METADATA');
    await endless.closed;
  });

  it('refuses an image over its cap, declared or streamed', async () => {
    const declared = await fetchLinkPreview(`${site.origin}/big-image-page`, options({ maxImageBytes: 1024 * 1024 }));
    expect(declared.imageError?.code).toBe('PREVIEW_TOO_LARGE');
    const streamed = await fetchLinkPreview(`${site.origin}/endless-image-page`, options({ maxImageBytes: 256 * 1024 }));
    expect(streamed.imageError?.code).toBe('PREVIEW_TOO_LARGE');
    expect(streamed.image).toBeUndefined();
    await endless.closed;
  });

  it('times out on a server that never answers (after TLS, and one that never speaks TLS)', async () => {
    for (const url of [`${site.origin}/hang`, `https://127.0.0.1:${silent.port}/`]) {
      const started = Date.now();
      const e = await failure(fetchLinkPreview(url, options({ timeoutMs: 400 })));
      expect(e.code).toBe('PREVIEW_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect((await failure(fetchLinkPreview(`${site.origin}/hang`, options({ signal: controller.signal })))).code).toBe('PREVIEW_TIMEOUT');
  });
});

describe('fetchLinkPreview: proxy', () => {
  it('tunnels page and image through a CONNECT proxy to the checked address, TLS end to end', async () => {
    proxy.targets.length = 0;
    const preview = await fetchLinkPreview(`${site.origin}/page`, options({ proxy: proxy.url }));
    expect(preview.title).toBe('Sealpost & friends');
    expect(preview.image?.width).toBe(800);
    expect(proxy.targets).toEqual([`127.0.0.1:${site.port}`, `127.0.0.1:${site.port}`]);
  });

  it('refuses a blocked destination before asking the proxy, and reports a proxy that refuses', async () => {
    proxy.targets.length = 0;
    expect((await failure(fetchLinkPreview(`https://10.0.0.1/page`, options({ proxy: proxy.url })))).code).toBe('PREVIEW_DESTINATION_BLOCKED');
    expect(proxy.targets).toEqual([]);
    const refused = await failure(fetchLinkPreview(`${site.origin}/page`, options({ proxy: refusingProxy.url })));
    expect(refused.code).toBe('PREVIEW_NETWORK');
    expect(refused.message).toContain('403');
  });
});
