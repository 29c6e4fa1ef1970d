/**
 * The deployment the page talks to, from `/config.json` beside it (served
 * by server/web-server.ts or any static host): the key server's and relay's
 * URLs and the pinned trust root.
 */
import { fromBase64 } from '@sealpost/protocol/primitives';

/** The page's deployment. */
export interface PageConfig {
  keyServerUrl: string;
  relayUrl: string;
  trustRoot: Uint8Array;
}

/** Fetches and checks `/config.json`; throws with a readable message when it is missing or malformed. */
export async function loadPageConfig(): Promise<PageConfig> {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const raw = (await response.json()) as Record<string, unknown>;
  const text = (name: string): string => {
    const value = raw[name];
    if (typeof value !== 'string' || value.length === 0) throw new Error(`config.json: "${name}" is missing`);
    return value;
  };
  return { keyServerUrl: text('keyServerUrl'), relayUrl: text('relayUrl'), trustRoot: fromBase64(text('trustRoot')) };
}
