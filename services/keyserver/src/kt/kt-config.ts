/**
 * Key-transparency settings as start-up flags (start-config.ts):
 * `--kt-vrf-key` / `--kt-log-key` (32-byte secrets, base64 or `@file` with
 * the base64 inside), `--kt-origin`, `--kt-witnesses url=vkey,…`,
 * `--kt-witness-quorum`, `--kt-batch-ms`, `--kt-heartbeat-ms`. KT is off
 * unless both keys are given. Also the origin suffix keygen prints.
 */
import { readFileSync } from 'node:fs';
import { ed25519PublicKey, fromBase64, sha256, toHex, utf8Encode } from '@sealpost/protocol/primitives';
import { ed25519CosignatureVerifier, vrfPublicKey } from '@sealpost/keytrans';
import { ConfigError } from '@sealpost/service-kit';
import type { KtLogSettings } from './kt-log.ts';
import type { KtWitness } from './witness-client.ts';

/** A 32-byte secret: base64, or `@path` to a file holding the base64. */
export function parseKtSecret(text: string): Uint8Array {
  const b64 = text.startsWith('@') ? readFileSync(text.slice(1), 'utf8').trim() : text.trim();
  let key: Uint8Array;
  try {
    key = fromBase64(b64);
  } catch {
    throw new Error('must be base64 of 32 bytes, or @file holding that');
  }
  if (key.length !== 32) throw new Error('must be base64 of 32 bytes, or @file holding that');
  return key;
}

/** `url=vkey,url=vkey`: each witness's base URL and its cosignature/v1 vkey. */
export function parseWitnessList(text: string): KtWitness[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return items.map((item) => {
    const eq = item.indexOf('=');
    if (eq < 0) throw new Error('each witness is <url>=<cosignature vkey>');
    const url = item.slice(0, eq);
    const vkey = item.slice(eq + 1);
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new Error(`witness URL ${JSON.stringify(url)} is not an http(s) URL`);
    }
    try {
      ed25519CosignatureVerifier(vkey);
    } catch {
      throw new Error(`witness key for ${url} is not a cosignature/v1 vkey (name+id+base64)`);
    }
    return { url, vkey };
  });
}

/** The origin suffix for a key pair: the first 16 hex digits of SHA-256 over both public keys, so new keys make a new log. */
export function ktOriginSuffix(vrfSecretKey: Uint8Array, logNoteKey: Uint8Array): string {
  return toHex(sha256(utf8Encode('sealpost-kt/1'), vrfPublicKey(vrfSecretKey), ed25519PublicKey(logNoteKey))).slice(0, 16);
}

/** The flags' values (the ones start-config.ts declares). */
export interface KtFlags {
  ktVrfKey?: Uint8Array | undefined;
  ktLogKey?: Uint8Array | undefined;
  ktOrigin?: string | undefined;
  ktWitnesses?: KtWitness[] | undefined;
  ktWitnessQuorum?: number | undefined;
  ktBatchMs: number;
  ktHeartbeatMs: number;
  ktVrfThreads: number;
}

/** The KtLog settings the flags ask for; undefined (KT off) without keys; ConfigError when incomplete. */
export function ktSettingsOf(c: KtFlags): KtLogSettings | undefined {
  if (c.ktVrfKey === undefined && c.ktLogKey === undefined) {
    if (c.ktOrigin !== undefined || c.ktWitnesses !== undefined) throw new ConfigError('--kt-origin / --kt-witnesses need --kt-vrf-key and --kt-log-key');
    return undefined;
  }
  if (c.ktVrfKey === undefined || c.ktLogKey === undefined) throw new ConfigError('key transparency needs both --kt-vrf-key and --kt-log-key');
  if (c.ktOrigin === undefined) throw new ConfigError(`key transparency needs --kt-origin (<host>/sealpost-kt/${ktOriginSuffix(c.ktVrfKey, c.ktLogKey)} for these keys)`);
  const witnesses = c.ktWitnesses ?? [];
  if (c.ktWitnessQuorum !== undefined && c.ktWitnessQuorum > witnesses.length) throw new ConfigError(`--kt-witness-quorum ${c.ktWitnessQuorum} exceeds the ${witnesses.length} witnesses`);
  return {
    vrfSecretKey: c.ktVrfKey,
    logNoteKey: c.ktLogKey,
    origin: c.ktOrigin,
    witnesses,
    ...(c.ktWitnessQuorum === undefined ? {} : { witnessQuorum: c.ktWitnessQuorum }),
    batchMs: c.ktBatchMs,
    heartbeatMs: c.ktHeartbeatMs,
    vrfThreads: c.ktVrfThreads,
  };
}
