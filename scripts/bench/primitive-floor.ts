/**
 * The primitive floor: only the node:crypto calls one Double Ratchet message
 * needs, timed directly, with no framing, no protobuf, no record and no
 * checks. An implementation can beat it only by calling the primitives more
 * cheaply (fewer calls, cheaper call shapes), which is the point of having it.
 *
 * Per message, sender and receiver each do (libsignal's layout):
 * - chain step: HMAC(CK, 0x01) → message-key seed, HMAC(CK, 0x02) → next CK;
 * - HKDF(seed, salt = 0³², "WhisperMessageKeys", 80) → cipher key, MAC key, IV;
 * - AES-256-CBC (PKCS#7) encrypt / decrypt;
 * - HMAC-SHA256 over both identity keys ‖ version ‖ header ‖ ciphertext, truncated to 8.
 * When the direction of the conversation flips the receiver also turns the DH
 * ratchet: one X25519 key generation, two agreements and two root-key HKDFs
 * (salt = RK, "WhisperRatchet", 64), with the peer's public key arriving as
 * 32 raw bytes that must be imported.
 *
 * Two variants differ only in how HKDF is computed: `hkdfSync` (one OpenSSL
 * call) or RFC 5869 spelled out over `createHmac` (extract + one expand block
 * per 32 bytes) — their per-call costs differ and the floor reports both.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import type { Conversation, Implementation, ScenarioId, Side } from './contract.ts';

type Hkdf = (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => Uint8Array;

const hkdfWithSync: Hkdf = (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));

/** RFC 5869 from HMAC calls: PRK = HMAC(salt, IKM); T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i). */
const hkdfWithHmac: Hkdf = (ikm, salt, info, length) => {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const out = Buffer.allocUnsafe(Math.ceil(length / 32) * 32);
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0; i * 32 < length; i++) {
    previous = createHmac('sha256', prk)
      .update(previous)
      .update(info)
      .update(Uint8Array.of(i + 1))
      .digest();
    previous.copy(out, i * 32);
  }
  return out.subarray(0, length);
};

const ZERO_SALT = new Uint8Array(32);
const MESSAGE_KEYS_INFO = new TextEncoder().encode('WhisperMessageKeys');
const RATCHET_INFO = new TextEncoder().encode('WhisperRatchet');
const SEED_BYTE = Uint8Array.of(1);
const CHAIN_BYTE = Uint8Array.of(2);
const VERSION_BYTE = Uint8Array.of(0x33);

interface FloorMessage {
  /** Sender's current ratchet public key, 32 raw bytes, as every message carries it. */
  readonly ratchetKey: Uint8Array;
  readonly header: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
}

interface RatchetKeyPair {
  readonly privateKey: KeyObject;
  readonly publicRaw: Uint8Array;
}

/** One side's state, a bare Double Ratchet without skipped keys or archives. */
interface FloorSide {
  rootKey: Uint8Array;
  ours: RatchetKeyPair;
  theirs: Uint8Array | null;
  sendingChain: Uint8Array | null;
  receivingChain: Uint8Array | null;
  readonly identity: Uint8Array;
}

/**
 * A fresh ratchet key pair: 32 random bytes imported as a JWK (JWK is the
 * cheap raw-key path in node 20; DER costs ~10× more), public key exported as
 * JWK. Not generateKeyPairSync: exporting a key it made can deadlock Node 20
 * (the export holds the key's mutex, a GC inside it runs the finished
 * KeyGenJob's destructor, which takes the same mutex).
 */
function ratchetKeyPair(): RatchetKeyPair {
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: randomBytes(32).toString('base64url'), x: UNUSED_JWK_X },
    format: 'jwk',
  });
  return { privateKey, publicRaw: Buffer.from(privateKey.export({ format: 'jwk' }).x!, 'base64url') };
}

/** Node requires `x` in a private OKP JWK but derives the key from `d` alone. */
const UNUSED_JWK_X = Buffer.alloc(32).toString('base64url');

function importPublic(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

function floor(name: string, hkdf: Hkdf, description: string): Implementation {
  /** Message keys (cipher 32 ‖ MAC 32 ‖ IV 16) for one chain step, and the next chain key. */
  function step(chainKey: Uint8Array): { keys: Uint8Array; next: Uint8Array } {
    const seed = createHmac('sha256', chainKey).update(SEED_BYTE).digest();
    const next = createHmac('sha256', chainKey).update(CHAIN_BYTE).digest();
    return { keys: hkdf(seed, ZERO_SALT, MESSAGE_KEYS_INFO, 80), next };
  }

  function mac(macKey: Uint8Array, sender: Uint8Array, receiver: Uint8Array, header: Uint8Array, body: Uint8Array): Buffer {
    return createHmac('sha256', macKey)
      .update(sender)
      .update(receiver)
      .update(VERSION_BYTE)
      .update(header)
      .update(body)
      .digest()
      .subarray(0, 8);
  }

  /** (RK, DH(ours, theirs)) → (RK', CK). */
  function rootStep(side: FloorSide, privateKey: KeyObject, theirs: KeyObject): Uint8Array {
    const secret = diffieHellman({ privateKey, publicKey: theirs });
    const derived = hkdf(secret, side.rootKey, RATCHET_INFO, 64);
    side.rootKey = derived.subarray(0, 32);
    return derived.subarray(32, 64);
  }

  function send(sender: FloorSide, receiverIdentity: Uint8Array, plaintext: Uint8Array): FloorMessage {
    const { keys, next } = step(sender.sendingChain!);
    sender.sendingChain = next;
    const header = new Uint8Array(40);
    const cipher = createCipheriv('aes-256-cbc', keys.subarray(0, 32), keys.subarray(64, 80));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      ratchetKey: sender.ours.publicRaw,
      header,
      ciphertext,
      mac: mac(keys.subarray(32, 64), sender.identity, receiverIdentity, header, ciphertext),
    };
  }

  function receive(receiver: FloorSide, senderIdentity: Uint8Array, message: FloorMessage): Uint8Array {
    if (receiver.theirs === null || Buffer.compare(receiver.theirs, message.ratchetKey) !== 0) {
      // DH ratchet: receiving chain from our current key, then a new pair and the sending chain.
      const theirs = importPublic(message.ratchetKey);
      receiver.receivingChain = rootStep(receiver, receiver.ours.privateKey, theirs);
      receiver.ours = ratchetKeyPair();
      receiver.sendingChain = rootStep(receiver, receiver.ours.privateKey, theirs);
      receiver.theirs = message.ratchetKey;
    }
    const { keys, next } = step(receiver.receivingChain!);
    const expected = mac(keys.subarray(32, 64), senderIdentity, receiver.identity, message.header, message.ciphertext);
    if (!timingSafeEqual(expected, message.mac)) throw new Error('floor: bad MAC');
    const decipher = createDecipheriv('aes-256-cbc', keys.subarray(0, 32), keys.subarray(64, 80));
    const plaintext = Buffer.concat([decipher.update(message.ciphertext), decipher.final()]);
    receiver.receivingChain = next;
    return plaintext;
  }

  return {
    name,
    description,
    supports: new Set<ScenarioId>(['symmetric', 'dh-ratchet']),
    async establish(): Promise<Conversation> {
      // As after X3DH: shared RK, Bob's signed prekey is Alice's first "their ratchet key".
      const rootKey = new Uint8Array(32).fill(3);
      const bobSigned = ratchetKeyPair();
      const bob: FloorSide = { rootKey, ours: bobSigned, theirs: null, sendingChain: null, receivingChain: null, identity: new Uint8Array(33).fill(6) };
      const alice: FloorSide = { rootKey, ours: ratchetKeyPair(), theirs: bobSigned.publicRaw, sendingChain: null, receivingChain: null, identity: new Uint8Array(33).fill(5) };
      alice.sendingChain = rootStep(alice, alice.ours.privateKey, importPublic(bobSigned.publicRaw));
      const sides = { alice, bob };
      const other = (side: Side): Side => (side === 'alice' ? 'bob' : 'alice');
      const hello = new Uint8Array(5);
      receive(bob, alice.identity, send(alice, bob.identity, hello));
      receive(alice, bob.identity, send(bob, alice.identity, hello));
      return {
        send: (from, plaintext) => send(sides[from], sides[other(from)].identity, plaintext),
        receive: (to, message) => receive(sides[to], sides[other(to)].identity, message as FloorMessage),
        recordBytes: () => new Uint8Array(0),
      };
    },
  };
}

/** Primitive floor with HKDF as one `hkdfSync` call. */
export function primitiveFloorHkdfSync(): Implementation {
  return floor('floor:hkdfSync', hkdfWithSync, 'primitive floor: node:crypto calls only, HKDF = crypto.hkdfSync');
}

/** Primitive floor with HKDF spelled out over `createHmac`. */
export function primitiveFloorHmacHkdf(): Implementation {
  return floor('floor:hmac-hkdf', hkdfWithHmac, 'primitive floor: node:crypto calls only, HKDF = extract+expand over createHmac');
}
