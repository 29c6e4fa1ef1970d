/**
 * What the page needs to know about its deployment, served as
 * `/config.json` beside the page: the services' URLs and the trust root the
 * page pins (public values only). The page reads it once at start
 * (src/page-config.ts parses the same shape).
 */
export interface PageConfig {
  keyServerUrl: string;
  relayUrl: string;
  /** The sender-certificate trust root public key, base64 (33 bytes). */
  trustRoot: string;
}

/** The path the page fetches. */
export const PAGE_CONFIG_PATH = '/config.json';
