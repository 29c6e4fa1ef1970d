/**
 * Streaming extraction of a page's preview metadata with htmlparser2 (a
 * forgiving streaming parser: it is fed chunks as they arrive and reports
 * when `</head>` or `<body>` is reached, so the fetch can stop there).
 * Sources, best first: Open Graph (`og:title`, `og:description`,
 * `og:image` / `og:image:secure_url` / `og:image:url`), Twitter cards, then
 * `<title>` and `<meta name="description">`. Entities are decoded, white
 * space collapsed, lengths capped.
 */
import { TextDecoder } from 'node:util';
import { Parser } from 'htmlparser2';

export interface PageMetadata {
  title: string | undefined;
  description: string | undefined;
  /** The image URL as written (resolve it against the page URL). */
  image: string | undefined;
}

export const MAX_TITLE_CHARS = 300;
export const MAX_DESCRIPTION_CHARS = 1000;
const MAX_IMAGE_URL_CHARS = 4096;

type Field = 'title' | 'description' | 'image';

/** Meta keys, best source first. */
const SOURCES: Record<Field, readonly string[]> = {
  title: ['og:title', 'twitter:title', '<title>'],
  description: ['og:description', 'twitter:description', 'description'],
  image: ['og:image:secure_url', 'og:image', 'og:image:url', 'twitter:image', 'twitter:image:src'],
};

function clean(text: string, max: number): string | undefined {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  if (collapsed === '') return undefined;
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}

/** Collects metadata from HTML fed in chunks. */
export class PageMetadataCollector {
  private readonly found = new Map<string, string>();
  private titleText: string | undefined;
  private inTitle = false;
  private headDone = false;
  private readonly decoder: TextDecoder;
  private readonly parser: Parser;

  constructor(charset: string | undefined) {
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charset ?? 'utf-8');
    } catch {
      decoder = new TextDecoder('utf-8');
    }
    this.decoder = decoder;
    this.parser = new Parser(
      {
        onopentag: (name, attribs) => {
          if (name === 'title' && this.titleText === undefined) {
            this.inTitle = true;
            this.titleText = '';
          } else if (name === 'meta') {
            const key = (attribs.property ?? attribs.name ?? '').trim().toLowerCase();
            const content = attribs.content;
            if (key !== '' && content !== undefined && !this.found.has(key)) this.found.set(key, content);
          } else if (name === 'body') {
            this.headDone = true;
          }
        },
        ontext: (text) => {
          if (this.inTitle && this.titleText !== undefined && this.titleText.length < MAX_TITLE_CHARS * 4) this.titleText += text;
        },
        onclosetag: (name) => {
          if (name === 'title') this.inTitle = false;
          else if (name === 'head') this.headDone = true;
        },
      },
      { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
    );
  }

  /** Feeds a chunk; returns true once the head is complete (nothing more is needed). */
  write(chunk: Buffer): boolean {
    if (!this.headDone) this.parser.write(this.decoder.decode(chunk, { stream: true }));
    return this.headDone;
  }

  /** The metadata found so far. */
  result(): PageMetadata {
    this.parser.end();
    if (this.titleText !== undefined) this.found.set('<title>', this.titleText);
    const pick = (field: Field, max: number) => {
      for (const key of SOURCES[field]) {
        const value = this.found.get(key);
        const cleaned = value === undefined ? undefined : clean(value, max);
        if (cleaned !== undefined) return cleaned;
      }
      return undefined;
    };
    const image = pick('image', MAX_IMAGE_URL_CHARS);
    return {
      title: pick('title', MAX_TITLE_CHARS),
      description: pick('description', MAX_DESCRIPTION_CHARS),
      image: image !== undefined && image.length < MAX_IMAGE_URL_CHARS ? image : undefined,
    };
  }
}
