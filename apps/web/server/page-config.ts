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
  /** The key-transparency log and witness policy the page pins (absent: no key transparency). */
  keyTransparency?: PageKtConfig;
}

/** The pinned key-transparency configuration (public values; the page runs it in `enforce` mode). */
export interface PageKtConfig {
  /** The log's checkpoint origin. */
  origin: string;
  /** The log's C2SP note verifier key. */
  logVerifierKey: string;
  /** The log's ECVRF public key, base64 (32 bytes). */
  vrfPublicKey: string;
  /** C2SP tlog-policy text naming the witnesses and the quorum. */
  witnessPolicy: string;
  /** Owner and contact monitoring interval, ms (default the SDK's). */
  monitorIntervalMs?: number;
  /** Delay before a sealed sender's key is checked in the background, ms (default the SDK's). */
  backgroundDelayMs?: number;
}

/** The path the page fetches. */
export const PAGE_CONFIG_PATH = '/config.json';
