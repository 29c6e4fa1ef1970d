/**
 * Sender-side link previews (opt-in: nothing calls this unless the app
 * does). The sender fetches the page over HTTPS under bounded-fetch.ts's
 * rules, reads its title, description and image URL (html-metadata.ts),
 * fetches the image under the same rules and re-encodes it with
 * `prepareImage` (metadata stripped, thumbnail, blurhash). The app sends
 * `image` as an ordinary encrypted attachment, so the recipient never
 * contacts the site. The site still learns that someone fetched it and
 * when, and (without a proxy) from which IP.
 */
import { fetchBounded, type FetchRules } from './bounded-fetch.ts';
import { checkPreviewUrl } from './destination-guard.ts';
import { LinkPreviewError, MediaError } from './errors.ts';
import { PageMetadataCollector } from './html-metadata.ts';
import { prepareImage, type PrepareImageOptions, type PreparedImage } from './prepare-image.ts';

export interface LinkPreviewOptions {
  /** Overall deadline for the page, every redirect and the image (default 10 s). */
  timeoutMs?: number;
  /** Caller abort. */
  signal?: AbortSignal;
  /** HTML read at most (default 1000 KiB, Signal's cap); reading stops there or at `</head>`. */
  maxHtmlBytes?: number;
  /** Image bytes accepted (default 5 MiB); a larger image is refused, not truncated. */
  maxImageBytes?: number;
  /** Redirects followed per request (default 20, Signal's limit); each hop is re-checked. */
  maxRedirects?: number;
  /** CONNECT proxy URL, `http://host:port` or `https://host:port` (default: none, direct). */
  proxy?: string | URL;
  /**
   * Hosts that may resolve to private/loopback/link-local addresses. Empty by
   * default; for tests (127.0.0.1) and operators' internal sites only.
   */
  allowPrivateHosts?: readonly string[];
  /** Extra trusted CA certificates (PEM), e.g. a test server's self-signed one. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** User-Agent sent (default `WhatsApp/2`, as Signal sends, which many sites answer with Open Graph tags). */
  userAgent?: string;
  /** Fetch and prepare the image (default true). */
  fetchImage?: boolean;
  /** Options for `prepareImage` on the preview image. */
  image?: PrepareImageOptions;
}

export interface FetchedLinkPreview {
  /** The URL as the sender wrote it (normalised; what goes in the message). */
  url: string;
  title: string;
  description: string | undefined;
  /** The re-encoded image, to send as an attachment; absent when the page has none or it failed. */
  image: PreparedImage | undefined;
  /** Why the image is absent although the page named one (typed, for logging or retry). */
  imageError: MediaError | undefined;
}

export const DEFAULT_LINK_PREVIEW_LIMITS = {
  timeoutMs: 10_000,
  maxHtmlBytes: 1000 * 1024,
  maxImageBytes: 5 * 1024 * 1024,
  maxRedirects: 20,
  userAgent: 'WhatsApp/2',
} as const;

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const PRESCAN_BYTES = 1024;

/** The charset a `<meta charset>` or `<meta http-equiv content="…; charset=…">` in `prefix` declares. */
function metaCharsetOf(prefix: Buffer): string | undefined {
  const text = prefix.subarray(0, PRESCAN_BYTES).toString('latin1');
  return /<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)/i.exec(text)?.[1];
}

/**
 * Fetches a preview for `url`. Throws `LinkPreviewError` (code
 * PREVIEW_URL_REFUSED, PREVIEW_DESTINATION_BLOCKED, PREVIEW_TOO_MANY_REDIRECTS,
 * PREVIEW_TOO_LARGE, PREVIEW_TIMEOUT, PREVIEW_HTTP_STATUS, PREVIEW_CONTENT_TYPE,
 * PREVIEW_NETWORK or PREVIEW_NO_METADATA) when there is no preview to send.
 */
export async function fetchLinkPreview(url: string | URL, options: LinkPreviewOptions = {}): Promise<FetchedLinkPreview> {
  const limits = { ...DEFAULT_LINK_PREVIEW_LIMITS, ...options };
  const pageUrl = checkPreviewUrl(url);
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
  const rules: FetchRules = {
    allowPrivateHosts: options.allowPrivateHosts ?? [],
    maxRedirects: limits.maxRedirects,
    userAgent: limits.userAgent,
    signal,
    ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  };

  // The charset comes from Content-Type, else from a <meta charset> in the
  // first 1024 bytes (the HTML prescan window), else UTF-8.
  let collector: PageMetadataCollector | undefined;
  const early: Buffer[] = [];
  let earlyBytes = 0;
  let headerCharset: string | undefined;
  const start = () => {
    const prefix = Buffer.concat(early, earlyBytes);
    collector = new PageMetadataCollector(headerCharset ?? metaCharsetOf(prefix));
    return collector.write(prefix);
  };
  const page = await fetchBounded(pageUrl, rules, {
    accept: 'text/html,application/xhtml+xml;q=0.9',
    acceptType: (t) => HTML_TYPES.has(t),
    maxBytes: limits.maxHtmlBytes,
    overflow: 'truncate',
    onChunk: (chunk, charset) => {
      if (collector !== undefined) return collector.write(chunk);
      headerCharset = charset;
      early.push(chunk);
      earlyBytes += chunk.length;
      return earlyBytes >= PRESCAN_BYTES ? start() : false;
    },
  });
  if (collector === undefined) start();
  const meta = collector!.result();
  if (meta.title === undefined) {
    throw new LinkPreviewError('PREVIEW_NO_METADATA', page.url.href, 'page has no title to preview');
  }

  let image: PreparedImage | undefined;
  let imageError: MediaError | undefined;
  if (meta.image !== undefined && limits.fetchImage !== false) {
    try {
      const imageUrl = checkPreviewUrl(meta.image, page.url);
      const fetched = await fetchBounded(imageUrl, rules, {
        accept: 'image/*',
        acceptType: (t) => t.startsWith('image/'),
        maxBytes: limits.maxImageBytes,
        overflow: 'error',
      });
      image = await prepareImage(fetched.body, { ...options.image, maxInputBytes: limits.maxImageBytes });
    } catch (e) {
      if (!(e instanceof MediaError)) throw e;
      imageError = e;
    }
  }
  return { url: pageUrl.href, title: meta.title, description: meta.description, image, imageError };
}
