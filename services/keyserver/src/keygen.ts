/**
 * `sealpost-keyserver keygen`: every key file the three services need, in
 * one command (formats: key-files.ts; all written 0600, existing files are
 * not overwritten without --force):
 *
 *     sealpost-keyserver keygen --out <dir> [--key-id N] [--trust-root <old>/trust-root.json]
 *                               [--only server-certificate|relay-key] [--force] [--json]
 *
 * | file                         | goes to                                  |
 * |------------------------------|------------------------------------------|
 * | trust-root.json              | nobody: keep it OFFLINE (signs server certificates) |
 * | trust-root.public.json       | the apps: clients pin it (`trustRoot`)   |
 * | server-certificate.json      | key server `--server-certificate`        |
 * | relay-credential-key.json    | key server `--relay-key`                 |
 * | relay-credential.public.json | relay and blob service `--keyserver-public-key @file` |
 * | kt-vrf.key                   | key server `--kt-vrf-key @file` (key transparency VRF secret) |
 * | kt-log.key                   | key server `--kt-log-key @file` (checkpoint note key) |
 *
 * The KT keys are made with a new trust root (not on rotation); keygen
 * prints the checkpoint origin suffix for them (`--kt-origin
 * <host>/sealpost-kt/<suffix>`) and the VRF public key clients pin.
 *
 * Rotation: `--trust-root <old dir>/trust-root.json` makes no new root; it
 * signs a new server certificate (pass a new `--key-id`) and makes a new
 * relay-credential key pair (`--only` limits it to one of the two). See the
 * README's "Key rotation".
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { x25519GenerateKeyPair } from '@sealpost/protocol/primitives';
import { createServerCertificate, parseServerCertificate, serverCertificateIsValid } from '@sealpost/protocol/sealed-sender';
import { encodeBase64 } from '@sealpost/service-kit';
import { chmodSync, writeFileSync } from 'node:fs';
import { randomBytes } from '@sealpost/protocol/primitives';
import { ed25519NoteSigner, vrfPublicKey } from '@sealpost/keytrans';
import { readTrustRootFile, writeKeyFile, type TrustRootFile } from './key-files.ts';
import { ktOriginSuffix } from './kt/kt-config.ts';

/** What one file is for. */
const ROLES: Record<string, string> = {
  'trust-root.json': 'keep OFFLINE (it signs server certificates); never deploy',
  'trust-root.public.json': 'apps: clients pin this public key (SealpostClient trustRoot)',
  'server-certificate.json': 'key server: --server-certificate',
  'relay-credential-key.json': 'key server: --relay-key (private; signs relay credentials and upload capabilities)',
  'relay-credential.public.json': 'relay and blob service: --keyserver-public-key @<path> (public key only)',
  'kt-vrf.key': 'key server: --kt-vrf-key @<path> (key transparency ECVRF secret)',
  'kt-log.key': 'key server: --kt-log-key @<path> (key transparency checkpoint note key)',
};

const USAGE =
  'usage: sealpost-keyserver keygen --out <dir> [--key-id N] [--trust-root trust-root.json] [--only server-certificate|relay-key] [--force] [--json]';

/** What `generateKeyFiles` made. */
export interface KeygenResult {
  files: string[];
  trustRootPublicKey: string;
  serverCertificateKeyId: number | undefined;
  relayCredentialPublicKey: string | undefined;
  /** Key transparency (made with a new trust root): the origin suffix and the public keys clients pin. */
  keyTransparency: { originSuffix: string; vrfPublicKey: string; logPublicKey: string } | undefined;
}

/** Options of `generateKeyFiles`. */
export interface KeygenOptions {
  out: string;
  keyId?: number;
  /** An existing trust root (rotation): no new root is made. */
  trustRoot?: string;
  only?: 'server-certificate' | 'relay-key';
  force?: boolean;
}

/** Writes the key files; throws with a readable message (existing file, bad key id, bad root file). */
export function generateKeyFiles(options: KeygenOptions): KeygenResult {
  const keyId = options.keyId ?? 1;
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 0xffffffff || keyId === 0xdeadc357) {
    throw new Error("--key-id must be a uint32 (and not libsignal's revoked 0xDEADC357)");
  }
  if (options.only !== undefined && options.trustRoot === undefined && options.only === 'server-certificate') {
    throw new Error('--only server-certificate needs --trust-root (the root that signs it)');
  }
  const makeCert = options.only !== 'relay-key';
  const makeRelay = options.only !== 'server-certificate';
  const makeRoot = options.trustRoot === undefined && options.only === undefined;
  const names = [
    ...(makeRoot ? ['trust-root.json', 'trust-root.public.json'] : []),
    ...(makeCert ? ['server-certificate.json'] : []),
    ...(makeRelay ? ['relay-credential-key.json', 'relay-credential.public.json'] : []),
    ...(makeRoot ? ['kt-vrf.key', 'kt-log.key'] : []),
  ];
  mkdirSync(options.out, { recursive: true, mode: 0o700 });
  const paths = names.map((n) => join(options.out, n));
  const clash = paths.find((p) => existsSync(p));
  if (clash !== undefined && options.force !== true) throw new Error(`${clash} exists; pass --force to overwrite`);

  let root: TrustRootFile | undefined;
  if (options.trustRoot !== undefined) root = readTrustRootFile(options.trustRoot);
  else if (makeRoot) {
    const kp = x25519GenerateKeyPair();
    root = { type: 'sealpost-trust-root', publicKey: Uint8Array.of(0x05, ...kp.publicKey), privateKey: kp.privateKey };
    writeKeyFile(join(options.out, 'trust-root.json'), root);
    writeKeyFile(join(options.out, 'trust-root.public.json'), { type: 'sealpost-trust-root-public', publicKey: root.publicKey });
  }
  if (makeCert) {
    const serverKey = x25519GenerateKeyPair();
    const cert = createServerCertificate({ keyId, serverPublicKey: serverKey.publicKey, trustRootPrivateKey: root!.privateKey });
    // Check what we wrote before anyone relies on it.
    if (!serverCertificateIsValid(parseServerCertificate(cert.serialized), root!.publicKey)) throw new Error('fresh server certificate does not validate');
    writeKeyFile(join(options.out, 'server-certificate.json'), { type: 'sealpost-server-certificate', keyId, certificate: cert.serialized, privateKey: serverKey.privateKey });
  }
  let relayPublic: Uint8Array | undefined;
  if (makeRelay) {
    const relay = generateRelayCredentialKeyPair();
    relayPublic = relay.publicKey;
    writeKeyFile(join(options.out, 'relay-credential-key.json'), { type: 'sealpost-relay-credential-key', ...relay });
    writeKeyFile(join(options.out, 'relay-credential.public.json'), { type: 'sealpost-relay-credential-public-key', publicKey: relay.publicKey });
  }
  let keyTransparency: KeygenResult['keyTransparency'];
  if (makeRoot) {
    const vrf = randomBytes(32);
    const log = randomBytes(32);
    for (const [name, key] of [['kt-vrf.key', vrf], ['kt-log.key', log]] as const) {
      writeFileSync(join(options.out, name), `${encodeBase64(key)}\n`, { mode: 0o600 });
      chmodSync(join(options.out, name), 0o600);
    }
    const suffix = ktOriginSuffix(vrf, log);
    keyTransparency = {
      originSuffix: suffix,
      vrfPublicKey: encodeBase64(vrfPublicKey(vrf)),
      // The vkey's name is the origin; shown with a placeholder host.
      logPublicKey: ed25519NoteSigner(`example.org/sealpost-kt/${suffix}`, log).vkey.split('+')[2]!,
    };
  }
  return {
    files: paths,
    keyTransparency,
    trustRootPublicKey: root === undefined ? '' : encodeBase64(root.publicKey),
    serverCertificateKeyId: makeCert ? keyId : undefined,
    relayCredentialPublicKey: relayPublic === undefined ? undefined : encodeBase64(relayPublic),
  };
}

/** The command: parses `args`, writes the files, prints which service gets which; returns the exit code. */
export function runKeygen(args: string[]): number {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        'key-id': { type: 'string' },
        'trust-root': { type: 'string' },
        only: { type: 'string' },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.out === undefined || (values.only !== undefined && values.only !== 'server-certificate' && values.only !== 'relay-key')) {
    console.error(USAGE);
    return 2;
  }
  const out = values.out;
  let result: KeygenResult;
  try {
    result = generateKeyFiles({
      out: values.out,
      ...(values['key-id'] === undefined ? {} : { keyId: /^[0-9]+$/.test(values['key-id']) ? Number(values['key-id']) : Number.NaN }),
      ...(values['trust-root'] === undefined ? {} : { trustRoot: values['trust-root'] }),
      ...(values.only === undefined ? {} : { only: values.only as 'server-certificate' | 'relay-key' }),
      force: values.force,
    });
  } catch (e) {
    console.error(`keygen: ${(e as Error).message}`);
    return 1;
  }
  if (values.json) {
    console.log(JSON.stringify({ ...result, roles: Object.fromEntries(result.files.map((f) => [f, ROLES[f.slice(out.length + 1)]])) }, null, 2));
    return 0;
  }
  const width = Math.max(...result.files.map((f) => f.length));
  console.log('Wrote (mode 0600):');
  for (const f of result.files) console.log(`  ${f.padEnd(width)}  → ${ROLES[f.slice(out.length + 1)]}`);
  if (result.serverCertificateKeyId !== undefined) console.log(`server certificate key id: ${result.serverCertificateKeyId}`);
  if (result.trustRootPublicKey !== '') console.log(`trust root public key (clients pin it): ${result.trustRootPublicKey}`);
  if (result.relayCredentialPublicKey !== undefined) console.log(`relay-credential public key (relay, blob service): ${result.relayCredentialPublicKey}`);
  if (result.keyTransparency !== undefined) {
    console.log(`key transparency origin: --kt-origin <host>/sealpost-kt/${result.keyTransparency.originSuffix}`);
    console.log(`key transparency VRF public key (clients pin it): ${result.keyTransparency.vrfPublicKey}`);
  }
  return 0;
}
