/**
 * Trust in contacts' identity keys: the identity policy applied on every
 * session start and received message (trust on first use, `identity.ts`),
 * safety numbers, and explicit verification.
 */
import type { ClientStore, RegisteredAccount, StoreTransaction } from './store/types.ts';
import { ClientError } from './errors.ts';
import { checkIdentity, type IdentityChange, type IdentityPolicy } from './identity.ts';
import { computeSafetyNumber, scannedSafetyNumberMatches, type SafetyNumber } from './safety-number.ts';

/** Identity trust of one device. */
export class Trust {
  constructor(
    private readonly store: ClientStore,
    private readonly now: () => number,
    readonly policy: IdentityPolicy,
    private readonly own: () => RegisteredAccount,
  ) {}

  /**
   * Applies the identity policy to `identityKey` for `account` inside `tx`.
   * Returns the change to report (if any); throws `IdentityChangedError`
   * under `block`. Our own account needs no check here: its devices share
   * our key, which unseal already required (`expectedIdentity`).
   */
  async check(tx: StoreTransaction, account: string, identityKey: Uint8Array, now: number): Promise<IdentityChange | undefined> {
    if (account === this.own().account) return undefined;
    return (await checkIdentity(tx.identities, account, identityKey, this.policy, now)).change;
  }

  /**
   * The identity key an envelope claiming to come from `account` must carry,
   * required by unseal before anything inside is decrypted: our own key for
   * our own account (our devices share it); under `block` the trusted key,
   * if any (`check` would refuse another one anyway). Otherwise none: under
   * `warn` a changed key is accepted and reported by `check`, and with no key
   * on record `check` trusts the first one (TOFU).
   */
  async expectedIdentity(account: string): Promise<Uint8Array | undefined> {
    const own = this.own();
    if (account === own.account) return own.identityPublicKey;
    return this.policy === 'block' ? this.trustedIdentity(account) : undefined;
  }

  /** The identity key trusted for `account`, if any (33 bytes). */
  async trustedIdentity(account: string): Promise<Uint8Array | undefined> {
    return (await this.store.identities.trusted(account))?.identityKey;
  }

  /**
   * The safety number with `account` (its trusted identity key against ours).
   * Throws `UNKNOWN_RECIPIENT` before any key of that account was seen.
   */
  async safetyNumber(account: string): Promise<SafetyNumber> {
    const local = this.own();
    const remote = await this.store.identities.trusted(account);
    if (remote === undefined) throw new ClientError('UNKNOWN_RECIPIENT', `no identity known for ${account} yet`);
    return computeSafetyNumber({ account: local.account, identityKey: local.identityPublicKey }, { account, identityKey: remote.identityKey });
  }

  /**
   * Compares the QR code scanned from the contact's screen with our safety
   * number; on a match the identity is marked verified. Returns whether it matched.
   */
  async verifySafetyNumber(account: string, scanned: Uint8Array): Promise<boolean> {
    const ours = await this.safetyNumber(account);
    if (!scannedSafetyNumberMatches(ours, scanned)) return false;
    await this.store.transaction(async (tx) => {
      const t = await tx.identities.trusted(account);
      if (t !== undefined) await tx.identities.trust(account, t.identityKey, this.now(), true);
    });
    return true;
  }

  /** Explicitly trusts `identityKey` for `account` (after the user compared safety numbers). */
  async trustIdentity(account: string, identityKey: Uint8Array, verified = true): Promise<void> {
    await this.store.identities.trust(account, identityKey, this.now(), verified);
  }
}
