/**
 * This device's account: registering a new account, linking to an existing
 * one by a link code, and managing the account's devices. Holds the local
 * account in memory once loaded (it changes only here), so the message
 * paths never read it from the store.
 */
import { curveKeyPairFromPrivate, deriveAccessKey, generateIdentityKeyPair } from '@sealpost/protocol';
import { randomBytes } from '@sealpost/protocol/primitives';
import { fromBase64, fromBase64Url, fromUtf8, toBase64, toBase64Url, utf8 } from './encoding.ts';
import { ClientError } from './errors.ts';
import { generateRegistrationId } from './keys.ts';
import type { DeviceListing, KeyServerClient } from './keyserver-client.ts';
import type { RelayClient } from './relay-client.ts';
import type { ClientStore, DeviceAddress, LocalAccount, RegisteredAccount } from './store/types.ts';
import { PreKeyUpkeep, type UpkeepPolicy } from './upkeep.ts';
import type { RegistrationGateAnswer } from './registration-gate.ts';

const LINK_PREFIX = 'sealpost-link:';

/** What `Account` works with. */
export interface AccountDeps {
  store: ClientStore;
  keyServer: KeyServerClient;
  relay: RelayClient;
  now: () => number;
  upkeep: Partial<UpkeepPolicy>;
  /** Called when this account's device set may have changed (a link code was made). */
  onDevicesChanged: () => void;
}

/** The local account of one device. */
export class Account {
  #local: LocalAccount | undefined;
  #upkeep: PreKeyUpkeep | undefined;

  constructor(private readonly deps: AccountDeps) {}

  /** Reads the local account from the store (once, at start-up). */
  async load(): Promise<void> {
    const local = await this.deps.store.identities.localAccount();
    this.#local = local;
    if (local?.account !== undefined) this.#bind(local);
  }

  /** True once registered or linked. */
  get registered(): boolean {
    return this.#local?.account !== undefined;
  }

  /** The registered account, or throws `NOT_REGISTERED`. */
  current(): RegisteredAccount {
    const a = this.#local;
    if (a?.account === undefined) throw new ClientError('NOT_REGISTERED', 'register() or link() this device first');
    return a;
  }

  /** The prekey upkeep of the registered device, if registered. */
  get upkeep(): PreKeyUpkeep | undefined {
    return this.#upkeep;
  }

  #bind(a: RegisteredAccount): void {
    this.deps.keyServer.setCredentials({ account: a.account, device: a.device, secret: fromBase64('deviceSecret', a.deviceSecret) });
    this.#upkeep = new PreKeyUpkeep(this.deps.store, this.deps.keyServer, { privateKey: a.identityPrivateKey, publicKey: a.identityPublicKey }, this.deps.upkeep, this.deps.now);
  }

  /** Stores the freshly registered or linked account, binds to it and stocks its prekeys (register and link share this). */
  async #activate(local: RegisteredAccount): Promise<void> {
    await this.deps.store.identities.setLocalAccount(local);
    this.#local = local;
    this.#bind(local);
    await this.#upkeep!.run();
  }

  #refuseIfRegistered(): void {
    if (this.registered) throw new ClientError('ALREADY_REGISTERED', 'this store already holds a registered device');
  }

  /**
   * Creates a new account with this device as its primary device: identity
   * key, registration id, device secret and profile key are generated here,
   * prekeys (signed, last-resort Kyber, 100 EC + 100 Kyber one-time) are
   * uploaded, and the account's access key is registered with the relay.
   */
  async register(gate?: RegistrationGateAnswer): Promise<DeviceAddress> {
    this.#refuseIfRegistered();
    const identity = generateIdentityKeyPair();
    const registrationId = generateRegistrationId();
    const secret = randomBytes(32);
    const profileKey = randomBytes(32);
    const { account, device } = await this.deps.keyServer.createAccount({ identityKey: identity.publicKey, registrationId, secret }, gate);
    await this.#activate({
      identityPrivateKey: identity.privateKey,
      identityPublicKey: identity.publicKey,
      registrationId,
      account,
      device,
      deviceSecret: toBase64(secret),
      profileKey,
    });
    await this.deps.relay.setAccessKey(account, deriveAccessKey(profileKey));
    return { account, device };
  }

  /**
   * Makes a one-time code that links a new device to this account (primary
   * device only). The code carries the account's identity private key and
   * profile key — like Signal's provisioning message — so transfer it only
   * device to device (QR code), never through a third party.
   */
  async createLinkCode(): Promise<string> {
    const a = this.current();
    const { code } = await this.deps.keyServer.createProvisioningCode();
    this.deps.onDevicesChanged();
    const payload = { c: code, a: a.account, i: toBase64(a.identityPrivateKey), p: toBase64(a.profileKey) };
    return LINK_PREFIX + toBase64Url(utf8(JSON.stringify(payload)));
  }

  /** Links this (fresh) device to an account with a code from `createLinkCode()`. */
  async link(linkCode: string): Promise<DeviceAddress> {
    this.#refuseIfRegistered();
    let payload: { c?: unknown; a?: unknown; i?: unknown; p?: unknown };
    try {
      if (!linkCode.startsWith(LINK_PREFIX)) throw new Error('prefix');
      payload = JSON.parse(fromUtf8('link code', fromBase64Url('link code', linkCode.slice(LINK_PREFIX.length)))) as typeof payload;
    } catch {
      throw new ClientError('INVALID_DATA', 'not a Sealpost link code');
    }
    if (typeof payload.c !== 'string' || typeof payload.a !== 'string') throw new ClientError('INVALID_DATA', 'link code is incomplete');
    const identity = curveKeyPairFromPrivate(fromBase64('identity', payload.i));
    const profileKey = fromBase64('profileKey', payload.p);
    if (profileKey.length !== 32) throw new ClientError('INVALID_DATA', 'link code profile key must be 32 bytes');
    const registrationId = generateRegistrationId();
    const secret = randomBytes(32);
    const { account, device } = await this.deps.keyServer.linkDevice({ provisioningCode: payload.c, registrationId, secret });
    if (account !== payload.a) throw new ClientError('INVALID_DATA', 'the key server linked a different account than the code names');
    await this.#activate({
      identityPrivateKey: identity.privateKey,
      identityPublicKey: identity.publicKey,
      registrationId,
      account,
      device,
      deviceSecret: toBase64(secret),
      profileKey,
    });
    return { account, device };
  }

  /** This account's devices, as the key server lists them. */
  devices(): Promise<DeviceListing[]> {
    return this.deps.keyServer.devices(this.current().account);
  }

  /** Removes one of this account's devices at the key server (it stops receiving). */
  async removeDevice(deviceId: number): Promise<void> {
    await this.deps.keyServer.removeDevice(deviceId);
  }
}
