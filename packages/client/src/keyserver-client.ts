/**
 * HTTP client of the key server: accounts, device linking, prekey upload
 * and counts, prekey bundles, sender certificates and relay credentials.
 * Device requests authenticate with `Basic base64("<account>.<device>:<secret>")`.
 */
import { ClientError } from './errors.ts';
import { utf8 } from './encoding.ts';
import { fromBase64, requestJson, toBase64 } from './http.ts';
import type { PublicPreKey, SignedPublicPreKey } from './keys.ts';
import type { PreKeyServer, PreKeyUpload } from './upkeep.ts';
import { solveRegistrationChallenge, type RegistrationGateAnswer } from './registration-gate.ts';
import type { HandleLookupJson, KtSearchRequestJson, KtSearchResponseJson } from '@sealpost/keytrans';
import { checkHandleLookup, checkSearchResponse } from './kt/wire-check.ts';

/** A device's credentials at the key server. */
export interface DeviceCredentials {
  account: string;
  device: number;
  /** 32-byte device secret. */
  secret: Uint8Array;
}

/** One device's prekey bundle, as fetched. */
export interface DeviceBundle {
  deviceId: number;
  registrationId: number;
  /** The account's identity key (33 bytes). */
  identityKey: Uint8Array;
  signedPreKey: SignedPublicPreKey;
  /** One-time EC prekey, when the server had one left. */
  preKey: PublicPreKey | undefined;
  /** One-time Kyber prekey, or the last-resort key. */
  pqPreKey: SignedPublicPreKey;
}

/** A device as listed. */
export interface DeviceListing {
  deviceId: number;
  registrationId: number;
}

type SignedJson = { keyId: number; publicKey: string; signature: string };
const signedToJson = (k: SignedPublicPreKey): SignedJson => ({ keyId: k.keyId, publicKey: toBase64(k.publicKey), signature: toBase64(k.signature) });
const signedFromJson = (name: string, k: SignedJson): SignedPublicPreKey => ({
  keyId: k.keyId,
  publicKey: fromBase64(`${name}.publicKey`, k.publicKey),
  signature: fromBase64(`${name}.signature`, k.signature),
});

/** Client of one key server, optionally bound to this device's credentials. */
export class KeyServerClient implements PreKeyServer {
  #credentials: DeviceCredentials | undefined;
  /** Where the key-transparency routes (search, handle lookup) are served: the key server unless the app says otherwise. */
  keyTransparencyUrl: string;

  constructor(
    readonly baseUrl: string,
    credentials?: DeviceCredentials,
  ) {
    this.#credentials = credentials;
    this.keyTransparencyUrl = baseUrl;
  }

  /** Binds the client to a device (after registering or linking). */
  setCredentials(credentials: DeviceCredentials): void {
    this.#credentials = credentials;
  }

  #auth(): Record<string, string> {
    const c = this.#credentials;
    if (c === undefined) throw new ClientError('NOT_REGISTERED', 'this device has no key-server credentials yet');
    const user = `${c.account}.${c.device}:${toBase64(c.secret)}`;
    return { authorization: `Basic ${toBase64(utf8(user))}` };
  }

  /** Creates an account; this device becomes its primary device (id 1). `gate`: what the server's registration gate needs, if it is on. */
  async createAccount(
    input: {
      identityKey: Uint8Array;
      registrationId: number;
      secret: Uint8Array;
      signedPreKey?: SignedPublicPreKey;
      pqLastResortPreKey?: SignedPublicPreKey;
    },
    gate?: RegistrationGateAnswer,
  ): Promise<{ account: string; device: number }> {
    const body: Record<string, unknown> = { identityKey: toBase64(input.identityKey), registrationId: input.registrationId, deviceSecret: toBase64(input.secret) };
    if (input.signedPreKey) body.signedPreKey = signedToJson(input.signedPreKey);
    if (input.pqLastResortPreKey) body.pqLastResortPreKey = signedToJson(input.pqLastResortPreKey);
    const headers: Record<string, string> = {};
    if (gate !== undefined && 'registrationToken' in gate) headers['registration-token'] = gate.registrationToken;
    if (gate !== undefined && 'proofOfWork' in gate) {
      const c = await requestJson<{ challenge: string; difficulty: number }>('key server', this.baseUrl, { method: 'GET', path: '/v1/accounts/challenge' });
      headers['registration-proof'] = `${c.challenge}:${solveRegistrationChallenge(c.challenge, c.difficulty)}`;
    }
    const r = await requestJson<{ accountId: string; deviceId: number }>('key server', this.baseUrl, { method: 'POST', path: '/v1/accounts', headers, body });
    return { account: r.accountId, device: r.deviceId };
  }

  /** Makes a one-time provisioning code (primary device only). */
  async createProvisioningCode(): Promise<{ code: string; expiresAt: number }> {
    return requestJson('key server', this.baseUrl, { method: 'POST', path: '/v1/devices/provisioning-codes', headers: this.#auth() });
  }

  /** Links a new device to the code's account. */
  async linkDevice(input: { provisioningCode: string; registrationId: number; secret: Uint8Array }): Promise<{ account: string; device: number }> {
    const r = await requestJson<{ accountId: string; deviceId: number }>('key server', this.baseUrl, {
      method: 'POST',
      path: '/v1/devices/link',
      body: { provisioningCode: input.provisioningCode, registrationId: input.registrationId, deviceSecret: toBase64(input.secret) },
    });
    return { account: r.accountId, device: r.deviceId };
  }

  /** Removes one of this account's devices. */
  async removeDevice(deviceId: number): Promise<void> {
    await requestJson('key server', this.baseUrl, { method: 'DELETE', path: `/v1/devices/${deviceId}`, headers: this.#auth() });
  }

  /** Deletes this device's account with everything it owns (primary device only; `DELETE /v1/accounts/me`). */
  async deleteAccount(): Promise<void> {
    await requestJson('key server', this.baseUrl, { method: 'DELETE', path: '/v1/accounts/me', headers: this.#auth() });
  }

  /** An account's devices (rate limited by the key server: per device when this client has credentials, else per address). */
  async devices(account: string): Promise<DeviceListing[]> {
    const r = await requestJson<{ devices: DeviceListing[] }>('key server', this.baseUrl, {
      method: 'GET',
      path: `/v1/accounts/${encodeURIComponent(account)}/devices`,
      ...(this.#credentials === undefined ? {} : { headers: this.#auth() }),
    });
    return r.devices;
  }

  async preKeyCounts(): Promise<{ ec: number; kyber: number }> {
    const r = await requestJson<{ count: number; pqCount: number }>('key server', this.baseUrl, { method: 'GET', path: '/v1/keys/count', headers: this.#auth() });
    return { ec: r.count, kyber: r.pqCount };
  }

  async uploadPreKeys(upload: PreKeyUpload): Promise<void> {
    const body: Record<string, unknown> = {};
    if (upload.signedPreKey) body.signedPreKey = signedToJson(upload.signedPreKey);
    if (upload.pqLastResortPreKey) body.pqLastResortPreKey = signedToJson(upload.pqLastResortPreKey);
    if (upload.preKeys) body.preKeys = upload.preKeys.map((k) => ({ keyId: k.keyId, publicKey: toBase64(k.publicKey) }));
    if (upload.pqPreKeys) body.pqPreKeys = upload.pqPreKeys.map(signedToJson);
    await requestJson('key server', this.baseUrl, { method: 'PUT', path: '/v1/keys', headers: this.#auth(), body });
  }

  /**
   * Fetches bundles of one device or (`device` undefined) all devices of
   * `account`. Each fetch consumes one-time keys: fetch only to start sessions.
   */
  async bundles(account: string, device?: number): Promise<DeviceBundle[]> {
    type BundleJson = {
      identityKey: string;
      devices: {
        deviceId: number;
        registrationId: number;
        signedPreKey: SignedJson;
        preKey?: { keyId: number; publicKey: string };
        pqPreKey: SignedJson;
      }[];
    };
    const r = await requestJson<BundleJson>('key server', this.baseUrl, {
      method: 'GET',
      path: `/v1/keys/${encodeURIComponent(account)}/${device === undefined ? '*' : device}`,
      headers: this.#auth(),
    });
    const identityKey = fromBase64('identityKey', r.identityKey);
    return r.devices.map((d) => ({
      deviceId: d.deviceId,
      registrationId: d.registrationId,
      identityKey,
      signedPreKey: signedFromJson('signedPreKey', d.signedPreKey),
      preKey: d.preKey === undefined ? undefined : { keyId: d.preKey.keyId, publicKey: fromBase64('preKey.publicKey', d.preKey.publicKey) },
      pqPreKey: signedFromJson('pqPreKey', d.pqPreKey),
    }));
  }

  /** A fresh sender certificate for this device (serialized `SenderCertificate`). */
  async senderCertificate(): Promise<{ certificate: Uint8Array; expiresAt: number }> {
    const r = await requestJson<{ certificate: string; expiresAt: number }>('key server', this.baseUrl, {
      method: 'GET',
      path: '/v1/certificate/sender',
      headers: this.#auth(),
    });
    return { certificate: fromBase64('certificate', r.certificate), expiresAt: r.expiresAt };
  }

  /**
   * A fresh relay credential (bearer token) for this device and the relay
   * named by `audience` (its public origin; the key server's configured
   * default when absent).
   */
  async relayCredential(audience?: string): Promise<{ token: string; expiresAt: number }> {
    const path = audience === undefined ? '/v1/credentials/relay' : `/v1/credentials/relay?audience=${encodeURIComponent(audience)}`;
    return requestJson('key server', this.baseUrl, { method: 'GET', path, headers: this.#auth() });
  }

  /** An upload capability for one attachment of `uploadLength` ciphertext bytes (POST /v1/attachments/form). */
  attachmentForm(uploadLength: number): Promise<{ key: string; token: string; maxLength: number; expiresAt: number; uploadPath: string }> {
    return requestJson('key server', this.baseUrl, { method: 'POST', path: '/v1/attachments/form', headers: this.#auth(), body: { uploadLength } });
  }

  // Key transparency (wire shapes: @sealpost/keytrans wire.ts; checked in kt/wire-check.ts).

  /**
   * `POST /v1/kt/search`: a search proof of `label` (unauthenticated: nothing
   * identifying goes with it). A malformed answer is `KtError('KT_BAD_RESPONSE')`;
   * `KT_LABEL_NOT_LOGGED` stays a `ServiceError` (404) for the caller to judge.
   */
  async ktSearch(request: KtSearchRequestJson): Promise<KtSearchResponseJson> {
    return checkSearchResponse(await requestJson<unknown>('key server', this.keyTransparencyUrl, { method: 'POST', path: '/v1/kt/search', body: request }));
  }

  /** `GET /v1/handles/:handle` (the directory's answer, to be checked against the log). `handle` is normalized. */
  async lookupHandle(handle: string): Promise<HandleLookupJson> {
    return checkHandleLookup(await requestJson<unknown>('key server', this.keyTransparencyUrl, { method: 'GET', path: `/v1/handles/${encodeURIComponent(handle)}` }));
  }

  /** `PUT /v1/accounts/me/handle` (primary device; 409 `HANDLE_TAKEN` as a `ServiceError`). `handle` is normalized. */
  async claimHandle(handle: string): Promise<void> {
    await requestJson('key server', this.baseUrl, { method: 'PUT', path: '/v1/accounts/me/handle', headers: this.#auth(), body: { handle } });
  }
}
