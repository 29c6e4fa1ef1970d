/**
 * Building the pinned KT configuration a client verifies against.
 */
import { decodeBase64 } from '../codec.ts';
import { KeyTransparencyError, ensure } from '../errors.ts';
import { parseVerifierKey } from '../signed-note.ts';
import { SIGNATURE_TYPE_ED25519 } from '../signed-note.ts';
import { type WitnessPolicy, parseWitnessPolicy } from '../witness-policy.ts';
import type { KtPinned } from './types.ts';

export interface KtPinnedOptions {
  origin: string;
  logVerifierKey: string;
  /** 32 bytes, or their base64 (as in KtConfigJson). */
  vrfPublicKey: Uint8Array | string;
  /** tlog-policy text or an already parsed policy. */
  witnessPolicy: string | WitnessPolicy;
  /** Defaults: 5 min ahead, 1 h behind, 1 h witness lag, 7 days contact monitoring. */
  maxAheadMs?: number;
  maxBehindMs?: number;
  maxWitnessLagMs?: number;
  contactMonitoringWindowMs?: number;
}

export const KT_DEFAULTS = {
  maxAheadMs: 5 * 60_000,
  maxBehindMs: 60 * 60_000,
  maxWitnessLagMs: 60 * 60_000,
  contactMonitoringWindowMs: 7 * 24 * 60 * 60_000,
} as const;

/**
 * Validates and freezes a pinned configuration: the log vkey parses, is an
 * Ed25519 note key named like the origin and is one of the policy's `log`
 * lines; the VRF key is 32 bytes; the windows are positive safe integers.
 * Throws KeyTransparencyError INVALID_ARGUMENT (POLICY_INVALID for policy text).
 */
export function ktPinned(options: KtPinnedOptions): KtPinned {
  const { origin, logVerifierKey } = options;
  ensure(typeof origin === 'string' && origin !== '' && !origin.includes('\n'), 'INVALID_ARGUMENT', 'the origin is one non-empty line');
  let key;
  try {
    key = parseVerifierKey(logVerifierKey);
  } catch {
    throw new KeyTransparencyError('INVALID_ARGUMENT', 'the log verifier key does not parse');
  }
  ensure(key.type === SIGNATURE_TYPE_ED25519 && key.name === origin, 'INVALID_ARGUMENT', 'the log verifier key is an Ed25519 note key named like the origin');
  const vrfPublicKey = typeof options.vrfPublicKey === 'string' ? decodeBase64(options.vrfPublicKey, 'VRF public key') : options.vrfPublicKey.slice();
  ensure(vrfPublicKey.length === 32, 'INVALID_ARGUMENT', 'the VRF public key is 32 bytes');
  const policy = typeof options.witnessPolicy === 'string' ? parseWitnessPolicy(options.witnessPolicy) : options.witnessPolicy;
  ensure(
    policy.logs.some((l) => l.key.name === origin && l.key.keyId === key.keyId && l.key.publicKey.every((b, i) => b === key.publicKey[i])),
    'INVALID_ARGUMENT',
    'the witness policy does not list the pinned log key',
  );
  const ms = (name: keyof typeof KT_DEFAULTS): number => {
    const v = options[name] ?? KT_DEFAULTS[name];
    ensure(Number.isSafeInteger(v) && v > 0, 'INVALID_ARGUMENT', `${name} is a positive integer`);
    return v;
  };
  return Object.freeze({
    origin,
    logVerifierKey,
    vrfPublicKey,
    policy,
    maxAheadMs: ms('maxAheadMs'),
    maxBehindMs: ms('maxBehindMs'),
    maxWitnessLagMs: ms('maxWitnessLagMs'),
    contactMonitoringWindowMs: ms('contactMonitoringWindowMs'),
  });
}
