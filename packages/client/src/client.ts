/**
 * `SealpostClient`: what an app embeds. One instance is one device of one
 * account. It registers (or links) the device, keeps its prekeys stocked,
 * establishes sessions, seals and sends messages to every device of a
 * recipient (and copies to its own other devices), receives, unseals,
 * decrypts, stores and hands messages to the app, and only then lets the
 * relay forget them.
 */
import { randomUUID } from 'node:crypto';
import { curveKeyPairFromPrivate } from '@sealpost/protocol/keys/curve-key.ts';
import { generateIdentityKeyPair, type IdentityKeyPair } from '@sealpost/protocol/keys/identity-key.ts';
import { constantTimeEqual, randomBytes } from '@sealpost/protocol/primitives/index.ts';
import { SealpostError } from '@sealpost/protocol/errors.ts';
import { ContentHint, sealV1, unseal } from '@sealpost/protocol/sealed-sender/index.ts';
import { decodeContent, encodeContent, type MessageContent, type MessageRef } from './content.ts';
import { ClientError } from './errors.ts';
import { TypedEmitter } from './events.ts';
import { fromBase64, toBase64 } from './http.ts';
import { checkIdentity, type IdentityChange, type IdentityPolicy } from './identity.ts';
import { computeSafetyNumber, scannedSafetyNumberMatches, type SafetyNumber } from './safety-number.ts';
import { decodeKyberPreKey, decodeOneTimePreKey, decodeSignedPreKey, generateRegistrationId } from './keys.ts';
import { KeyServerClient, type DeviceBundle } from './keyserver-client.ts';
import { pollOnce, WebSocketReceiver, type BackoffPolicy, type ReceiverState } from './receiver.ts';
import { RelayClient, deriveAccessKey, deviceMismatchOf, type OutgoingEnvelope, type QueuedEnvelope } from './relay-client.ts';
import { SessionLocks, withSessionTransaction } from './session-transaction.ts';
import { isDuplicateMessage, sessionOps, type CiphertextType, type LocalKeys, type PreKeyLookup, type SessionOps } from './session-ops.ts';
import type { ClientStore, DeviceAddress, LocalAccount, NewMessage, StoredMessage } from './store/types.ts';
import { PreKeyUpkeep, type UpkeepPolicy } from './upkeep.ts';

/** How the client receives. */
export type ReceiveMode = 'websocket' | 'poll' | 'manual';

/** Options of `SealpostClient`. */
export interface SealpostClientOptions {
  /** Where everything persists (`SqliteStore` or `MemoryStore`). */
  store: ClientStore;
  /** Key server base URL, e.g. `http://127.0.0.1:8080`. */
  keyServerUrl: string;
  /** Relay base URL. */
  relayUrl: string;
  /** The sender-certificate trust root public key(s) this app pins (32 or 33 bytes). */
  trustRoot: Uint8Array | Uint8Array[];
  /** What an identity change does (default `warn`: trust the new key and emit `identityChanged`). */
  identityPolicy?: IdentityPolicy;
  /** Prekey upkeep schedule; `automatic: false` disables the timer (call `runUpkeep`). */
  upkeep?: Partial<UpkeepPolicy> & { automatic?: boolean };
  /** Receiving: WebSocket push (default), polling every `pollIntervalMs`, or only `poll()` calls. */
  receive?: { mode?: ReceiveMode; pollIntervalMs?: number; backoff?: BackoffPolicy };
  /**
   * Called for every new message before it counts as delivered. When it
   * resolves the message is marked delivered; when it throws, the message
   * stays undelivered and is offered again by `redeliver()` / the next start.
   */
  onMessage?: (message: ReceivedMessage) => void | Promise<void>;
  /** Clock, ms (injectable for tests). */
  now?: () => number;
  /** Session functions (tests may wrap them); defaults to the protocol's. */
  sessions?: SessionOps;
  /** How many times a send retries after device-list mismatches (default 3). */
  maxSendAttempts?: number;
}

/** A message as the app receives it. */
export interface ReceivedMessage {
  /** Local id in the store's history. */
  id: number;
  /** The conversation: the other account (for a sync copy, the account our other device wrote to). */
  conversation: string;
  /** The device that wrote it. */
  sender: DeviceAddress;
  /** True when one of our own other devices sent it (a sync copy). */
  fromSelf: boolean;
  /** The decoded payload. */
  content: MessageContent;
  /** Relay envelope id it arrived in. */
  envelopeId: string;
  /** When it was stored here, ms. */
  storedAt: number;
}

/** A message this device sent. */
export interface SentMessage {
  /** Local id in the store's history. */
  id: number;
  /** The recipient account. */
  to: string;
  /** The payload as sent. */
  content: MessageContent;
  /** Recipient devices it was sealed for. */
  devices: number[];
  /** Own other devices that got a copy. */
  syncedDevices: number[];
  /** A reference to this message, for replies and reactions. */
  ref: MessageRef;
}

/** What the relay was given for one device (for tools that show the operator's view). */
export interface RelayView {
  recipient: DeviceAddress;
  bytes: number;
  /** First byte of the envelope: the sealed-sender version, nothing about the sender. */
  versionByte: number;
}

/** A non-fatal problem the client handled (e.g. an envelope that could not be decrypted). */
export interface ClientProblem {
  error: unknown;
  /** Relay envelope id, when the problem concerns one. */
  envelopeId?: string;
}

/** Events of `SealpostClient`. */
export interface ClientEvents {
  [key: string]: unknown;
  /** A new message (received, or a copy of one our other device sent). */
  message: ReceivedMessage;
  /** A contact's identity key changed: show "safety number changed". */
  identityChanged: IdentityChange;
  /** Receiver connection state. */
  connection: ReceiverState;
  /** A handled problem (undecryptable envelope, failed upkeep, ...). */
  error: ClientProblem;
  /** What this client handed the relay (sealed, senderless envelopes). */
  relaySend: RelayView[];
}

/** A contact card: what two users exchange (e.g. by QR code) before the first message. */
export interface ContactCard {
  account: string;
  /** 32-byte profile key; lets the holder derive the access key the relay asks for. */
  profileKey: Uint8Array;
}

const PROFILE_KEY_SETTING = (account: string) => `contact.profileKey.${account}`;
const LINK_PREFIX = 'sealpost-link:';
/** How long "this account has no other device" is believed before asking the key server again, ms. */
const OWN_DEVICES_RECHECK_MS = 10_000;

/** One device of one account. Create with `new SealpostClient(options)`, then `register()` or `link()`, then `start()`. */
export class SealpostClient extends TypedEmitter<ClientEvents> {
  readonly store: ClientStore;
  readonly keyServer: KeyServerClient;
  readonly relay: RelayClient;
  readonly #options: SealpostClientOptions;
  readonly #now: () => number;
  readonly #ops: SessionOps;
  readonly #locks = new SessionLocks();
  readonly #trustRoots: Uint8Array[];
  #upkeep: PreKeyUpkeep | undefined;
  #receiver: WebSocketReceiver | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<number> | undefined;
  #credential: { token: string; expiresAt: number } | undefined;
  #certificate: { certificate: Uint8Array; expiresAt: number } | undefined;
  #iterators = new Set<(m: ReceivedMessage | undefined) => void>();
  #closed = false;
  #ownDevicesCheckedAt = -Infinity;

  constructor(options: SealpostClientOptions) {
    super();
    this.#options = options;
    this.store = options.store;
    this.#now = options.now ?? Date.now;
    this.#ops = options.sessions ?? sessionOps;
    this.#trustRoots = Array.isArray(options.trustRoot) ? options.trustRoot : [options.trustRoot];
    this.keyServer = new KeyServerClient(options.keyServerUrl);
    this.relay = new RelayClient(options.relayUrl, () => this.#relayToken());
    const local = this.store.getLocalAccount();
    if (local?.account !== undefined) this.#bind(local);
  }

  // ---------------------------------------------------------------- identity

  /** This device's address, or throws `NOT_REGISTERED`. */
  get address(): DeviceAddress {
    const a = this.store.getLocalAccount();
    if (a?.account === undefined || a.device === undefined) throw new ClientError('NOT_REGISTERED', 'register() or link() this device first');
    return { account: a.account, device: a.device };
  }

  /** True once registered or linked. */
  get registered(): boolean {
    return this.store.getLocalAccount()?.account !== undefined;
  }

  #local(): LocalAccount & { account: string; device: number; deviceSecret: string; profileKey: Uint8Array } {
    const a = this.store.getLocalAccount();
    if (a?.account === undefined || a.device === undefined || a.deviceSecret === undefined || a.profileKey === undefined) {
      throw new ClientError('NOT_REGISTERED', 'register() or link() this device first');
    }
    return a as LocalAccount & { account: string; device: number; deviceSecret: string; profileKey: Uint8Array };
  }

  #identity(): IdentityKeyPair {
    const a = this.#local();
    return { privateKey: a.identityPrivateKey, publicKey: a.identityPublicKey };
  }

  #localKeys(): LocalKeys {
    const a = this.#local();
    return { identity: { privateKey: a.identityPrivateKey, publicKey: a.identityPublicKey }, registrationId: a.registrationId };
  }

  #bind(a: LocalAccount): void {
    if (a.account === undefined || a.device === undefined || a.deviceSecret === undefined) return;
    this.keyServer.setCredentials({ account: a.account, device: a.device, secret: fromBase64('deviceSecret', a.deviceSecret) });
    const { automatic: _automatic, ...policy } = this.#options.upkeep ?? {};
    this.#upkeep = new PreKeyUpkeep(this.store, this.keyServer, { privateKey: a.identityPrivateKey, publicKey: a.identityPublicKey }, policy, this.#now);
  }

  /**
   * Creates a new account with this device as its primary device: identity
   * key, registration id, device secret and profile key are generated here,
   * prekeys (signed, last-resort Kyber, 100 EC + 100 Kyber one-time) are
   * uploaded, and the account's access key is registered with the relay.
   */
  async register(): Promise<DeviceAddress> {
    if (this.registered) throw new ClientError('ALREADY_REGISTERED', 'this store already holds a registered device');
    const identity = generateIdentityKeyPair();
    const registrationId = generateRegistrationId();
    const secret = randomBytes(32);
    const profileKey = randomBytes(32);
    const { account, device } = await this.keyServer.createAccount({ identityKey: identity.publicKey, registrationId, secret });
    const local: LocalAccount = {
      identityPrivateKey: identity.privateKey,
      identityPublicKey: identity.publicKey,
      registrationId,
      account,
      device,
      deviceSecret: toBase64(secret),
      profileKey,
    };
    this.store.setLocalAccount(local);
    this.#bind(local);
    await this.#upkeep!.run();
    await this.relay.setAccessKey(account, deriveAccessKey(profileKey));
    return { account, device };
  }

  /**
   * Makes a one-time code that links a new device to this account (primary
   * device only). The code carries the account's identity private key and
   * profile key — like Signal's provisioning message — so transfer it only
   * device to device (QR code), never through a third party.
   */
  async createLinkCode(): Promise<string> {
    const a = this.#local();
    const { code } = await this.keyServer.createProvisioningCode();
    this.#ownDevicesCheckedAt = -Infinity;
    const payload = { c: code, a: a.account, i: toBase64(a.identityPrivateKey), p: toBase64(a.profileKey) };
    return LINK_PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  }

  /** Links this (fresh) device to an account with a code from `createLinkCode()`. */
  async link(linkCode: string): Promise<DeviceAddress> {
    if (this.registered) throw new ClientError('ALREADY_REGISTERED', 'this store already holds a registered device');
    let payload: { c?: unknown; a?: unknown; i?: unknown; p?: unknown };
    try {
      if (!linkCode.startsWith(LINK_PREFIX)) throw new Error('prefix');
      payload = JSON.parse(Buffer.from(linkCode.slice(LINK_PREFIX.length), 'base64url').toString('utf8')) as typeof payload;
    } catch {
      throw new ClientError('INVALID_DATA', 'not a Sealpost link code');
    }
    if (typeof payload.c !== 'string' || typeof payload.a !== 'string') throw new ClientError('INVALID_DATA', 'link code is incomplete');
    const identity = curveKeyPairFromPrivate(fromBase64('identity', payload.i));
    const profileKey = fromBase64('profileKey', payload.p);
    if (profileKey.length !== 32) throw new ClientError('INVALID_DATA', 'link code profile key must be 32 bytes');
    const registrationId = generateRegistrationId();
    const secret = randomBytes(32);
    const { account, device } = await this.keyServer.linkDevice({ provisioningCode: payload.c, registrationId, secret });
    if (account !== payload.a) throw new ClientError('INVALID_DATA', 'the key server linked a different account than the code names');
    const local: LocalAccount = {
      identityPrivateKey: identity.privateKey,
      identityPublicKey: identity.publicKey,
      registrationId,
      account,
      device,
      deviceSecret: toBase64(secret),
      profileKey,
    };
    this.store.setLocalAccount(local);
    this.#bind(local);
    await this.#upkeep!.run();
    return { account, device };
  }

  /** Removes one of this account's devices at the key server (it stops receiving). */
  async removeDevice(deviceId: number): Promise<void> {
    await this.keyServer.removeDevice(deviceId);
  }

  /** This user's contact card, to give to people who should be able to write to us. */
  contactCard(): ContactCard {
    const a = this.#local();
    return { account: a.account, profileKey: a.profileKey.slice() };
  }

  /** Remembers a contact's card (their profile key); needed before the first message to them. */
  addContact(card: ContactCard): void {
    if (!(card.profileKey instanceof Uint8Array) || card.profileKey.length !== 32) throw new ClientError('INVALID_DATA', 'profile key must be 32 bytes');
    this.store.setSetting(PROFILE_KEY_SETTING(card.account), toBase64(card.profileKey));
  }

  /** Encodes a contact card as text (for QR codes and the terminal chat). */
  static encodeContactCard(card: ContactCard): string {
    return `${card.account}:${Buffer.from(card.profileKey).toString('base64url')}`;
  }

  /** Decodes `encodeContactCard`'s text. */
  static decodeContactCard(text: string): ContactCard {
    const m = /^([0-9a-f-]{36}):([A-Za-z0-9_-]{43})$/.exec(text.trim());
    if (m === null) throw new ClientError('INVALID_DATA', 'not a contact card');
    return { account: m[1]!, profileKey: new Uint8Array(Buffer.from(m[2]!, 'base64url')) };
  }

  #accessKey(account: string): Uint8Array {
    const own = this.#local();
    if (account === own.account) return deriveAccessKey(own.profileKey);
    const stored = this.store.getSetting(PROFILE_KEY_SETTING(account));
    if (stored === undefined) throw new ClientError('UNKNOWN_RECIPIENT', `no contact card for ${account}: call addContact() first`);
    return deriveAccessKey(fromBase64('profileKey', stored));
  }

  /** The identity key trusted for `account`, if any (33 bytes). */
  trustedIdentity(account: string): Uint8Array | undefined {
    return this.store.getTrustedIdentity(account)?.identityKey;
  }

  /**
   * The safety number with `account` (its trusted identity key against ours).
   * Throws `UNKNOWN_RECIPIENT` before any key of that account was seen.
   */
  safetyNumber(account: string): SafetyNumber {
    const local = this.#local();
    const remote = this.store.getTrustedIdentity(account);
    if (remote === undefined) throw new ClientError('UNKNOWN_RECIPIENT', `no identity known for ${account} yet`);
    return computeSafetyNumber({ account: local.account, identityKey: local.identityPublicKey }, { account, identityKey: remote.identityKey });
  }

  /**
   * Compares the QR code scanned from the contact's screen with our safety
   * number; on a match the identity is marked verified. Returns whether it matched.
   */
  verifySafetyNumber(account: string, scanned: Uint8Array): boolean {
    const ok = scannedSafetyNumberMatches(this.safetyNumber(account), scanned);
    if (ok) {
      const t = this.store.getTrustedIdentity(account)!;
      this.store.setTrustedIdentity(account, t.identityKey, this.#now(), true);
    }
    return ok;
  }

  /** Explicitly trusts `identityKey` for `account` (after the user compared safety numbers). */
  trustIdentity(account: string, identityKey: Uint8Array, verified = true): void {
    this.store.setTrustedIdentity(account, identityKey, this.#now(), verified);
  }

  // ------------------------------------------------------------- credentials

  async #relayToken(): Promise<string> {
    const now = this.#now();
    if (this.#credential === undefined || this.#credential.expiresAt - now < 30_000) {
      this.#credential = await this.keyServer.relayCredential();
    }
    return this.#credential.token;
  }

  async #senderCertificate(): Promise<Uint8Array> {
    const now = this.#now();
    if (this.#certificate === undefined || this.#certificate.expiresAt - now < 60_000) {
      this.#certificate = await this.keyServer.senderCertificate();
    }
    return this.#certificate.certificate;
  }

  // ----------------------------------------------------------------- sending

  /**
   * Sends a message to every device of `to`, and a copy to this account's
   * other devices. Returns once the relay accepted it.
   *
   * If it rejects with `NETWORK_ERROR` after sealing, the sealed envelopes
   * stay in the store's outbox and `flushOutbox()` (also run by `start()`)
   * delivers them: do not send the same content again.
   */
  async send(to: string, message: { text?: string; replyTo?: MessageRef; reaction?: MessageContent['reaction']; messageId?: string; timestamp?: number }): Promise<SentMessage> {
    const local = this.#local();
    const timestamp = message.timestamp ?? this.#now();
    const content: MessageContent = { version: 1, timestamp, profileKey: local.profileKey };
    if (message.text !== undefined) content.text = message.text;
    if (message.replyTo !== undefined) content.replyTo = message.replyTo;
    if (message.reaction !== undefined) content.reaction = message.reaction;
    if (message.messageId !== undefined) content.messageId = message.messageId;
    const plaintext = encodeContent(content);
    const history: NewMessage = {
      direction: 'out',
      peer: to,
      sender: { account: local.account, device: local.device },
      timestamp,
      content: plaintext,
      envelopeId: undefined,
      storedAt: this.#now(),
      delivered: true,
    };
    // The history row lands in the same transaction that records the relay's acceptance.
    const toRecipient = to === local.account ? { devices: [], messageId: undefined } : await this.#sendToAccount(to, plaintext, timestamp, history);
    // Sync copy for our own other devices (they show the whole conversation).
    const transcript = encodeContent({ ...content, sentTranscript: { destination: to } });
    let syncedDevices: number[] = [];
    try {
      ({ devices: syncedDevices } = await this.#sendToAccount(local.account, transcript, timestamp));
    } catch (error) {
      // The recipient has the message; a failed copy to our own devices must not look like a failed send
      // (a sealed copy stays in the outbox for flushOutbox()).
      this.emit('error', { error });
    }
    const id = toRecipient.messageId ?? this.store.addMessage(history);
    const devices = toRecipient.devices;
    const { profileKey: _pk, ...visible } = content;
    const sentRef: MessageRef = { author: local.account, timestamp };
    if (message.messageId !== undefined) sentRef.messageId = message.messageId;
    return { id, to, content: visible, devices, syncedDevices, ref: sentRef };
  }

  /** Replies to an earlier message. */
  reply(to: string, text: string, target: MessageRef): Promise<SentMessage> {
    return this.send(to, { text, replyTo: target });
  }

  /** Reacts to an earlier message with any emoji. */
  react(to: string, emoji: string, target: MessageRef, remove = false): Promise<SentMessage> {
    return this.send(to, { reaction: { emoji, target, remove } });
  }

  /** Establishes sessions with the given devices (all when `devices` is undefined) from fresh bundles. */
  async #establish(account: string, devices: number[] | undefined): Promise<void> {
    const own = this.#local();
    let bundles: DeviceBundle[] = [];
    if (devices === undefined) bundles = await this.keyServer.bundles(account);
    else for (const d of devices) bundles.push(...(await this.keyServer.bundles(account, d)));
    const local = this.#localKeys();
    for (const bundle of bundles) {
      if (account === own.account && bundle.deviceId === own.device) continue;
      const address = { account, device: bundle.deviceId };
      const change = this.store.transaction(() => {
        const { change } =
          account === own.account
            ? { change: undefined }
            : checkIdentity(this.store, account, bundle.identityKey, this.#options.identityPolicy ?? 'warn', this.#now());
        withSessionTransaction(this.store, address, (record) => ({ record: this.#ops.initiate(record, bundle, local, this.#now()), result: undefined }));
        return change;
      });
      if (change !== undefined) this.emit('identityChanged', change);
    }
  }

  /**
   * Seals `plaintext` for every (other) device of `account` and hands the set
   * to the relay. All devices' ratchet steps, the sealed envelopes (outbox)
   * and the parked `history` row commit in one transaction; the history row
   * moves into the history when the relay accepts. Returns the device ids and
   * the history row id.
   */
  async #sendToAccount(
    account: string,
    plaintext: Uint8Array,
    timestamp: number,
    history?: NewMessage,
  ): Promise<{ devices: number[]; messageId: number | undefined }> {
    const none = { devices: [], messageId: undefined };
    const own = this.#local();
    const isSelf = account === own.account;
    return this.#locks.run(account, async () => {
      const attempts = this.#options.maxSendAttempts ?? 3;
      const accessKey = this.#accessKey(account);
      for (let attempt = 0; attempt < attempts; attempt++) {
        let devices = this.store.sessionDevices(account).filter((d) => !(isSelf && d === own.device));
        if (devices.length === 0 && attempt === 0) {
          // Our own account usually has no other device: do not ask the key server on every send.
          if (isSelf && this.#now() - this.#ownDevicesCheckedAt < OWN_DEVICES_RECHECK_MS) return none;
          const listed = await this.keyServer.devices(account);
          if (isSelf) this.#ownDevicesCheckedAt = this.#now();
          const wanted = listed.map((d) => d.deviceId).filter((d) => !(isSelf && d === own.device));
          if (wanted.length === 0) return none;
          await this.#establish(account, isSelf ? wanted : undefined);
          devices = this.store.sessionDevices(account).filter((d) => !(isSelf && d === own.device));
        }
        if (devices.length === 0 && isSelf) return none;
        if (devices.length === 0) throw new ClientError('UNKNOWN_RECIPIENT', `${account} has no devices with keys`);
        const certificate = await this.#senderCertificate();
        const batchId = randomUUID();
        const envelopes = this.store.transaction(() => {
          if (history !== undefined) this.store.setPendingSent(batchId, history);
          return devices.map((device) => this.#encryptFor({ account, device }, plaintext, certificate, batchId));
        });
        try {
          await this.relay.send(account, accessKey, envelopes, timestamp, isSelf);
          const messageId = this.#settleBatch(batchId, true);
          this.emit(
            'relaySend',
            envelopes.map((e) => ({ recipient: { account, device: e.deviceId }, bytes: e.content.length, versionByte: e.content[0]! })),
          );
          return { devices, messageId };
        } catch (e) {
          const mismatch = deviceMismatchOf(e);
          // Any other failure (e.g. the relay unreachable) keeps the sealed batch in
          // the outbox: the ratchet has stepped, and flushOutbox() delivers it later.
          if (mismatch === undefined) throw e;
          this.#settleBatch(batchId, false);
          // Fix the device set as the relay describes it, then try again.
          for (const d of [...mismatch.extraDevices, ...mismatch.staleDevices]) this.store.deleteSession({ account, device: d });
          const refetch = [...mismatch.missingDevices, ...mismatch.staleDevices].filter((d) => !(isSelf && d === own.device));
          if (refetch.length > 0) await this.#establish(account, refetch);
        }
      }
      throw new ClientError('DEVICE_MISMATCH', `device list of ${account} kept changing; gave up after ${attempts} attempts`);
    });
  }

  /** Removes a batch from the outbox; when `accepted`, moves its parked history row into the history. */
  #settleBatch(batchId: string, accepted: boolean): number | undefined {
    return this.store.transaction(() => {
      this.store.removeOutboxBatch(batchId);
      const parked = this.store.takePendingSent(batchId);
      return accepted && parked !== undefined ? this.store.addMessage(parked) : undefined;
    });
  }

  /** One ratchet step + seal for one device, stored (outbox) in the step's transaction. */
  #encryptFor(address: DeviceAddress, plaintext: Uint8Array, certificate: Uint8Array, batchId: string): OutgoingEnvelope {
    const local = this.#localKeys();
    return withSessionTransaction(this.store, address, (record) => {
      if (record === undefined) throw new ClientError('INVALID_DATA', `no session with ${address.account}.${address.device}`);
      const out = this.#ops.encrypt(record, plaintext, local, this.#now());
      const sealed = sealV1({
        content: { type: out.type, senderCertificate: certificate, contents: out.body, contentHint: ContentHint.Resendable },
        senderIdentity: local.identity,
        recipientIdentityPublic: out.remoteIdentityKey,
      });
      const envelope: OutgoingEnvelope = { deviceId: address.device, registrationId: out.remoteRegistrationId, content: sealed };
      this.store.addOutbox({ batchId, recipient: address, registrationId: out.remoteRegistrationId, envelope: sealed, createdAt: this.#now() });
      return { record: out.record, result: envelope };
    });
  }

  // --------------------------------------------------------------- receiving

  /**
   * Starts receiving (WebSocket or polling, per options), offers messages the
   * app has not yet accepted, and starts the prekey upkeep timer.
   */
  async start(): Promise<void> {
    this.#local();
    await this.redeliver();
    await this.flushOutbox();
    if (this.#options.upkeep?.automatic !== false) this.#upkeep!.start((error) => this.emit('error', { error }));
    const mode = this.#options.receive?.mode ?? 'websocket';
    if (mode === 'websocket') {
      this.#receiver ??= new WebSocketReceiver(this.relay, () => this.#relayToken(), (e) => this.#handleEnvelope(e), {
        backoff: this.#options.receive?.backoff,
        onState: (state) => this.emit('connection', state),
        onError: (error) => this.emit('error', { error }),
      });
      this.#receiver.start();
    } else if (mode === 'poll') {
      const interval = this.#options.receive?.pollIntervalMs ?? 1000;
      const tick = () => {
        void this.poll()
          .catch((error: unknown) => this.emit('error', { error }))
          .finally(() => {
            if (!this.#closed && this.#pollTimer !== undefined) this.#pollTimer = setTimeout(tick, interval);
          });
      };
      this.#pollTimer = setTimeout(tick, 0);
    }
  }

  /**
   * Hands the relay any sealed envelopes that a crash left between their
   * ratchet step and the relay's acceptance. (A recipient that did get them
   * drops the repeat as a duplicate.) A batch the relay now refuses for a
   * changed device list is dropped and reported as an `error` event.
   * Returns how many batches were sent.
   */
  async flushOutbox(): Promise<number> {
    const own = this.#local();
    let sent = 0;
    for (const batch of this.store.outboxBatches()) {
      const account = batch[0]!.recipient.account;
      try {
        await this.#locks.run(account, () =>
          this.relay.send(
            account,
            this.#accessKey(account),
            batch.map((e) => ({ deviceId: e.recipient.device, registrationId: e.registrationId, content: e.envelope })),
            batch[0]!.createdAt,
            account === own.account,
          ),
        );
        sent++;
        this.#settleBatch(batch[0]!.batchId, true);
      } catch (error) {
        if (deviceMismatchOf(error) === undefined && !(error instanceof ClientError && error.code === 'UNKNOWN_RECIPIENT')) throw error;
        this.emit('error', { error });
        this.#settleBatch(batch[0]!.batchId, false);
      }
    }
    return sent;
  }

  /** Fetches and processes the whole queue once by polling; returns how many envelopes were handled. */
  poll(): Promise<number> {
    this.#polling ??= pollOnce(this.relay, (e) => this.#handleEnvelope(e), (error) => this.emit('error', { error })).finally(
      () => (this.#polling = undefined),
    );
    return this.#polling;
  }

  /**
   * Processes one envelope the app fetched itself (bring your own transport,
   * e.g. `relay.fetch()`): resolves once its plaintext is stored (or it was
   * recorded as undecryptable). Acknowledge it to the relay only after that.
   * Rejects on transient failures; then do not acknowledge.
   */
  receiveEnvelope(envelope: QueuedEnvelope): Promise<void> {
    return this.#handleEnvelope(envelope);
  }

  /** Resolves when the WebSocket receiver has emptied the relay queue (WebSocket mode). */
  async drained(): Promise<void> {
    if (this.#receiver !== undefined) await this.#receiver.drained();
  }

  /** Runs prekey upkeep now (the timer also does). */
  runUpkeep() {
    if (this.#upkeep === undefined) throw new ClientError('NOT_REGISTERED', 'register() or link() this device first');
    return this.#upkeep.run();
  }

  /** Offers every stored-but-not-yet-accepted message to the app again. */
  async redeliver(): Promise<void> {
    for (const m of this.store.undeliveredMessages()) await this.#deliver(this.#toReceived(m));
  }

  #toReceived(m: StoredMessage): ReceivedMessage {
    const own = this.store.getLocalAccount()?.account;
    const { profileKey: _pk, ...content } = decodeContent(m.content);
    return {
      id: m.id,
      conversation: m.peer,
      sender: m.sender,
      fromSelf: m.sender.account === own,
      content,
      envelopeId: m.envelopeId ?? '',
      storedAt: m.storedAt,
    };
  }

  async #deliver(message: ReceivedMessage): Promise<void> {
    this.emit('message', message);
    for (const push of this.#iterators) push(message);
    try {
      await this.#options.onMessage?.(message);
      this.store.markDelivered(message.id);
    } catch (error) {
      // Stays undelivered; offered again by redeliver().
      this.emit('error', { error, envelopeId: message.envelopeId });
    }
  }

  /**
   * Handles one envelope. Resolves once its plaintext is stored (or it was
   * found undecryptable and recorded as such): only then may it be
   * acknowledged. Rejects on transient failures, so the relay keeps it.
   */
  async #handleEnvelope(envelope: QueuedEnvelope): Promise<void> {
    if (this.#closed) throw new ClientError('CLOSED', 'client is closed');
    if (this.store.isEnvelopeProcessed(envelope.id)) return;
    const local = this.#local();
    const keys = this.#localKeys();
    const drop = (error: unknown) => {
      this.store.transaction(() => this.store.markEnvelopeProcessed(envelope.id, this.#now()));
      this.emit('error', { error, envelopeId: envelope.id });
    };
    let unsealed;
    try {
      unsealed = unseal({
        message: envelope.content,
        recipientIdentity: keys.identity,
        trustRoots: this.#trustRoots,
        now: this.#now(),
        local: { uuid: local.account, deviceId: local.device },
      });
    } catch (error) {
      if (error instanceof SealpostError) return drop(error);
      throw error;
    }
    const sender = { account: unsealed.sender.senderUuid.toLowerCase(), device: unsealed.sender.senderDeviceId };
    const fromSelf = sender.account === local.account;
    // Our own other devices share our identity key; anything else claiming to be us is forged.
    if (fromSelf && !sameKey(unsealed.sender.identityKey, local.identityPublicKey)) {
      return drop(new ClientError('INVALID_DATA', 'an envelope claims to come from our own account with another identity key'));
    }
    const type = unsealed.content.type;
    if (type !== 2 && type !== 3) return drop(new ClientError('INVALID_DATA', `unsupported inner message type ${type}`));

    const outcome = await this.#locks.run(sender.account, () => {
      try {
        return this.store.transaction(() => {
          if (this.store.isEnvelopeProcessed(envelope.id)) return undefined;
          const now = this.#now();
          const { change } = fromSelf
            ? { change: undefined }
            : checkIdentity(this.store, sender.account, unsealed.sender.identityKey, this.#options.identityPolicy ?? 'warn', now);
          const decrypted = withSessionTransaction(this.store, sender, (record) => {
            const d = this.#ops.decrypt(record, type as CiphertextType, unsealed.content.contents, keys, this.#preKeyLookup(), now);
            return { record: d.record, result: d };
          });
          // The session must speak for the identity the certificate names.
          if (!sameKey(decrypted.remoteIdentityKey, unsealed.sender.identityKey)) {
            throw new ClientError('INVALID_DATA', 'sender certificate identity differs from the session identity');
          }
          let usedOneTime = false;
          if (decrypted.usedPreKeyId !== undefined) {
            this.store.removePreKey('ec', decrypted.usedPreKeyId);
            usedOneTime = true;
          }
          if (decrypted.usedKyberPreKeyId !== undefined) {
            const k = this.store.loadPreKey('kyber', decrypted.usedKyberPreKeyId);
            if (k !== undefined && !k.lastResort) {
              this.store.removePreKey('kyber', k.id);
              usedOneTime = true;
            }
          }
          const content = decodeContent(decrypted.plaintext);
          if (!fromSelf && content.profileKey !== undefined) this.store.setSetting(PROFILE_KEY_SETTING(sender.account), toBase64(content.profileKey));
          const peer = fromSelf ? (content.sentTranscript?.destination ?? sender.account) : sender.account;
          const id = this.store.addMessage({
            direction: fromSelf ? 'out' : 'in',
            peer,
            sender,
            timestamp: content.timestamp,
            content: decrypted.plaintext,
            envelopeId: envelope.id,
            storedAt: now,
          });
          this.store.markEnvelopeProcessed(envelope.id, now);
          return { id, change, usedOneTime };
        });
      } catch (error) {
        if (isDuplicateMessage(error)) {
          this.store.transaction(() => this.store.markEnvelopeProcessed(envelope.id, this.#now()));
          return undefined;
        }
        if (error instanceof SealpostError || (error instanceof ClientError && error.code === 'INVALID_DATA')) {
          drop(error);
          return undefined;
        }
        throw error;
      }
    });
    if (outcome === undefined) return;
    if (outcome.change !== undefined) this.emit('identityChanged', outcome.change);
    if (outcome.usedOneTime && this.#upkeep !== undefined) void this.#upkeep.run().catch((error: unknown) => this.emit('error', { error }));
    const stored = this.store.getMessage(outcome.id);
    if (stored !== undefined) await this.#deliver(this.#toReceived(stored));
  }

  #preKeyLookup(): PreKeyLookup {
    return {
      signedPreKey: (id) => {
        const k = this.store.loadPreKey('signed', id);
        return k === undefined ? undefined : decodeSignedPreKey(k);
      },
      oneTimePreKey: (id) => {
        const k = this.store.loadPreKey('ec', id);
        return k === undefined ? undefined : decodeOneTimePreKey(k);
      },
      kyberPreKey: (id) => {
        const k = this.store.loadPreKey('kyber', id);
        return k === undefined ? undefined : decodeKyberPreKey(k);
      },
    };
  }

  /**
   * New messages as an async iterator (in addition to the `message` event).
   * Ends when the client closes.
   */
  async *messages(): AsyncGenerator<ReceivedMessage, void, undefined> {
    const queue: ReceivedMessage[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const push = (m: ReceivedMessage | undefined) => {
      if (m === undefined) done = true;
      else queue.push(m);
      wake?.();
    };
    this.#iterators.add(push);
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (done || this.#closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.#iterators.delete(push);
    }
  }

  /** The stored history with one account, oldest first. */
  history(account: string, limit?: number): (StoredMessage & { decoded: MessageContent })[] {
    return this.store.conversation(account, limit).map((m) => ({ ...m, decoded: decodeContent(m.content) }));
  }

  /** Stops receiving and timers and closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#upkeep?.stop();
    if (this.#pollTimer !== undefined) clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    await this.#receiver?.stop();
    await this.#polling?.catch(() => 0);
    for (const push of this.#iterators) push(undefined);
    this.store.close();
  }
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  const strip = (k: Uint8Array) => (k.length === 33 ? k.subarray(1) : k);
  const x = strip(a);
  const y = strip(b);
  return x.length === y.length && constantTimeEqual(x, y);
}

