/**
 * This device's account: registering a new account, linking a new device
 * to an existing one (Signal-style provisioning, see linking.ts), and
 * managing the account's devices. Holds the local
 * account in memory once loaded (it changes only here), so the message
 * paths never read it from the store.
 */
import { deriveAccessKey, generateCurveKeyPair, generateIdentityKeyPair } from '@sealpost/protocol';
import { randomBytes } from '@sealpost/protocol/primitives';
import { fromBase64, toBase64 } from './encoding.ts';
import { ClientError } from './errors.ts';
import { generateRegistrationId } from './keys.ts';
import type { DeviceListing, KeyServerClient } from './keyserver-client.ts';
import { decodeProvisionMessage, encodeProvisionMessage, formatLinkUri, parseLinkUri, type DeviceLinking, type ProvisionContents } from './linking.ts';
import { openProvisioningMessage, sealProvisioningMessage } from './provisioning-cipher.ts';
import type { ProvisioningMailbox } from './provisioning-mailbox.ts';
import type { RelayClient } from './relay-client.ts';
import type { ClientStore, DeviceAddress, LocalAccount, RegisteredAccount } from './store/types.ts';
import { PreKeyUpkeep, type UpkeepPolicy } from './upkeep.ts';
import type { RegistrationGateAnswer } from './registration-gate.ts';
import { AccountDeletedError } from './account-deletion/errors.ts';
import { accountDeletedAt, deleteOwnAccount } from './account-deletion/delete-account.ts';

/** What `Account` works with. */
export interface AccountDeps {
  store: ClientStore;
  keyServer: KeyServerClient;
  relay: RelayClient;
  now: () => number;
  upkeep: Partial<UpkeepPolicy>;
  /** Called when this account's device set may have changed (a provisioning code was made). */
  onDevicesChanged: () => void;
  /** Opens a relay provisioning mailbox (the new device's side of linking). */
  openMailbox: () => Promise<ProvisioningMailbox>;
  /** History transfer (history-transfer/): the offer id for a provisioning message (primary), and what a new device does once linked. */
  historyTransfer?: { offer(enabled?: boolean): Promise<Uint8Array | undefined>; linked(transferId: Uint8Array | undefined): Promise<void> };
}

/** The local account of one device. */
export class Account {
  #local: LocalAccount | undefined;
  #upkeep: PreKeyUpkeep | undefined;
  /** This store's account was deleted (account-deletion/): it cannot register or link again. */
  #deleted = false;

  constructor(private readonly deps: AccountDeps) {}

  /** Reads the local account from the store (once, at start-up). */
  async load(): Promise<void> {
    const local = await this.deps.store.identities.localAccount();
    this.#deleted = (await accountDeletedAt(this.deps.store)) !== undefined;
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
    if (this.#deleted) throw AccountDeletedError.ofThisStore();
    if (a?.account === undefined) throw new ClientError('NOT_REGISTERED', 'register() or link() this device first');
    return a;
  }

  /** Deletes the account everywhere and marks this store deleted (account-deletion/delete-account.ts). */
  async deleteAccount(): Promise<void> {
    await deleteOwnAccount(this.deps, this.current());
    this.#upkeep?.stop();
    this.#upkeep = undefined;
    this.#deleted = true;
    this.#local = await this.deps.store.identities.localAccount();
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
    if (this.#deleted) throw AccountDeletedError.ofThisStore();
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
   * Approves a new device's link request (primary device only): makes a
   * one-time key-server provisioning code, seals the provisioning message
   * (identity key pair, account, code, profile key) to the one-time public
   * key in `uri` (Signal's ProvisioningCipher) and puts it into the new
   * device's relay mailbox. The URI holds no secret; the sealed message
   * only the new device can open.
   */
  async approveLink(uri: string, options: { historyTransfer?: boolean } = {}): Promise<void> {
    const a = this.current();
    const target = parseLinkUri(uri);
    const { code } = await this.deps.keyServer.createProvisioningCode();
    const historyTransferId = await this.deps.historyTransfer?.offer(options.historyTransfer);
    this.deps.onDevicesChanged();
    const message = encodeProvisionMessage({
      identityPublicKey: a.identityPublicKey,
      identityPrivateKey: a.identityPrivateKey,
      account: a.account,
      provisioningCode: code,
      profileKey: a.profileKey,
      ...(historyTransferId !== undefined && { historyTransferId }),
    });
    const envelope = sealProvisioningMessage(target.publicKey, message, { ephemeralPrivateKey: randomBytes(32), iv: randomBytes(16) });
    message.fill(0);
    await this.deps.relay.putProvisioningMessage(target.mailboxId, envelope);
  }

  /**
   * Starts linking this (fresh) device: opens a relay provisioning mailbox
   * and makes a one-time key pair whose public half goes into the returned
   * URI (show it as a QR code to the primary, which calls `approveLink`).
   * `complete()` then waits for the sealed provisioning message, opens it
   * and links this device at the key server with the code inside.
   */
  async beginLink(): Promise<DeviceLinking> {
    this.#refuseIfRegistered();
    const oneTime = generateCurveKeyPair(randomBytes(32));
    const mailbox = await this.deps.openMailbox();
    const uri = formatLinkUri({ mailboxId: mailbox.id, publicKey: oneTime.publicKey });
    let completing: Promise<DeviceAddress> | undefined;
    const complete = async (): Promise<DeviceAddress> => {
      try {
        const envelope = await mailbox.message();
        const plaintext = openProvisioningMessage(oneTime.privateKey, envelope);
        const contents = decodeProvisionMessage(plaintext);
        plaintext.fill(0);
        const address = await this.#linkWith(contents);
        await this.deps.historyTransfer?.linked(contents.historyTransferId);
        return address;
      } finally {
        oneTime.privateKey.fill(0);
        mailbox.close();
      }
    };
    return {
      uri,
      expiresAt: mailbox.expiresAt,
      complete: () => (completing ??= complete()),
      cancel: () => mailbox.close(),
    };
  }

  /** Links at the key server with a provisioning message's code and stores the account it names. */
  async #linkWith(contents: ProvisionContents): Promise<DeviceAddress> {
    this.#refuseIfRegistered();
    const registrationId = generateRegistrationId();
    const secret = randomBytes(32);
    const { account, device } = await this.deps.keyServer.linkDevice({ provisioningCode: contents.provisioningCode, registrationId, secret });
    if (account !== contents.account) throw new ClientError('INVALID_DATA', 'the key server linked a different account than the provisioning message names');
    await this.#activate({
      identityPrivateKey: contents.identityPrivateKey,
      identityPublicKey: contents.identityPublicKey,
      registrationId,
      account,
      device,
      deviceSecret: toBase64(secret),
      profileKey: contents.profileKey,
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
