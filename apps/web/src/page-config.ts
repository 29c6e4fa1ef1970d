/**
 * The deployment the page talks to, from `/config.json` beside it (served
 * by server/web-server.ts or any static host): the key server's and relay's
 * URLs, the pinned trust root and, when the deployment runs key
 * transparency, the pinned log and witness policy.
 */
import type { KeyTransparencyOptions } from '@sealpost/client/browser';
import { fromBase64 } from '@sealpost/protocol/primitives';

/** The page's deployment. */
export interface PageConfig {
  keyServerUrl: string;
  relayUrl: string;
  trustRoot: Uint8Array;
  /** The pinned key-transparency log (mode `enforce`); undefined when config.json has none. */
  keyTransparency?: KeyTransparencyOptions;
}

/** `keyTransparency` of config.json as the client's option (mode `enforce`); throws on a malformed one. */
function ktOption(raw: unknown): KeyTransparencyOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object') throw new Error('config.json: "keyTransparency" must be an object');
  const kt = raw as Record<string, unknown>;
  const text = (name: string): string => {
    const value = kt[name];
    if (typeof value !== 'string' || value.length === 0) throw new Error(`config.json: "keyTransparency.${name}" is missing`);
    return value;
  };
  const ms = (name: string): { [k: string]: number } => {
    const value = kt[name];
    if (value === undefined) return {};
    if (typeof value !== 'number') throw new Error(`config.json: "keyTransparency.${name}" must be a number`);
    return { [name]: value };
  };
  return {
    origin: text('origin'),
    logVerifierKey: text('logVerifierKey'),
    vrfPublicKey: text('vrfPublicKey'),
    witnessPolicy: text('witnessPolicy'),
    mode: 'enforce',
    ...ms('monitorIntervalMs'),
    ...ms('backgroundDelayMs'),
  };
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
  const keyTransparency = ktOption(raw.keyTransparency);
  return { keyServerUrl: text('keyServerUrl'), relayUrl: text('relayUrl'), trustRoot: fromBase64(text('trustRoot')), ...(keyTransparency === undefined ? {} : { keyTransparency }) };
}
