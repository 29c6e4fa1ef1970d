/**
 * The `keyTransparency` option, checked once when the client is built (like
 * `trustRoot`): the pinned log (origin, note key, VRF key) and the witness
 * policy must parse (`ktPinned` of @sealpost/keytrans), the mode be known
 * and every duration positive. A bad option is `KtError('KT_INVALID_CONFIG')`
 * from the constructor, not a failure on the first send.
 */
import { ktPinned, parseWitnessPolicy, type KtPinned, type WitnessPolicy } from '@sealpost/keytrans';
import { KtError } from './errors.ts';
import type { KeyTransparencyOptions, KtMode } from './types.ts';

/** Defaults of the client's own durations (the verifier's windows default in `ktPinned`). */
export const KT_CLIENT_DEFAULTS = {
  monitorIntervalMs: 15 * 60_000,
  backgroundDelayMs: 30_000,
} as const;

/** The checked option: what the client pins. */
export interface KtConfig {
  readonly pinned: KtPinned;
  readonly mode: KtMode;
  readonly monitorIntervalMs: number;
  readonly recheckAfterMs: number;
  readonly backgroundDelayMs: number;
  /** Where the KT routes are (undefined: the key server). */
  readonly url: string | undefined;
}

const invalid = (message: string, cause?: unknown) => new KtError('KT_INVALID_CONFIG', `keyTransparency: ${message}`, { cause });

function duration(name: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0) || value > 0x7fffffff) {
    throw invalid(`${name} must be a positive whole number of milliseconds (at most 2^31 - 1)`);
  }
  return value;
}

/** Checks the `keyTransparency` option; undefined when it is absent (no key transparency). */
export function checkKtOptions(option: KeyTransparencyOptions | undefined): KtConfig | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null) throw invalid('must be an object');
  const { mode, witnessPolicy, logVerifierKey } = option;
  if (mode !== 'enforce' && mode !== 'warn' && mode !== 'off') throw invalid(`mode must be 'enforce', 'warn' or 'off'`);
  if (typeof witnessPolicy !== 'string') throw invalid('witnessPolicy must be C2SP tlog-policy text');
  if (typeof logVerifierKey !== 'string') throw invalid('logVerifierKey must be a C2SP verifier key (text)');
  if (option.url !== undefined && typeof option.url !== 'string') throw invalid('url must be a string');
  let policy: WitnessPolicy;
  try {
    // The log is pinned by logVerifierKey: a policy of witnesses only gets it as its `log` line.
    policy = parseWitnessPolicy(/^\s*log\s/m.test(witnessPolicy) ? witnessPolicy : `log ${logVerifierKey}\n${witnessPolicy}`);
  } catch (e) {
    throw invalid(`witnessPolicy does not parse (${(e as Error).message})`, e);
  }
  let pinned: KtPinned;
  try {
    pinned = ktPinned({
      origin: option.origin,
      logVerifierKey,
      vrfPublicKey: option.vrfPublicKey,
      witnessPolicy: policy,
      ...(option.maxBehindMs === undefined ? {} : { maxBehindMs: duration('maxBehindMs', option.maxBehindMs, 0) }),
      ...(option.maxAheadMs === undefined ? {} : { maxAheadMs: duration('maxAheadMs', option.maxAheadMs, 0) }),
      ...(option.maxWitnessLagMs === undefined ? {} : { maxWitnessLagMs: duration('maxWitnessLagMs', option.maxWitnessLagMs, 0) }),
      ...(option.contactMonitoringWindowMs === undefined ? {} : { contactMonitoringWindowMs: option.contactMonitoringWindowMs }),
    });
  } catch (e) {
    if (e instanceof KtError) throw e;
    throw invalid((e as Error).message, e);
  }
  const monitorIntervalMs = duration('monitorIntervalMs', option.monitorIntervalMs, KT_CLIENT_DEFAULTS.monitorIntervalMs);
  return {
    pinned,
    mode,
    monitorIntervalMs,
    recheckAfterMs: duration('recheckAfterMs', option.recheckAfterMs, monitorIntervalMs, true),
    backgroundDelayMs: duration('backgroundDelayMs', option.backgroundDelayMs, KT_CLIENT_DEFAULTS.backgroundDelayMs, true),
    url: option.url,
  };
}
