/**
 * `@sealpost/devkit/witnesses`: several C2SP tlog-witnesses on 127.0.0.1 for
 * key-server and client end-to-end tests — the real `@sealpost/witness`
 * (`buildWitnessServer`, in this process, each on its own port and its own
 * in-memory SQLite store), with the C2SP tlog-policy a client pins for them.
 *
 *     const ws = await startWitnesses(3, { logs: [logVkey], now: () => clock.seconds });
 *     // ws.urls[i] → POST `${url}/add-checkpoint`; ws.policyText → the client's witness policy (2 of 3)
 *     const refused = await ws.evidence(0);   // split views / inconsistent proofs witness 0 refused
 *     await ws.close();
 *
 * `keys[i]` is witness i's secret key, so a test can play a colluding witness
 * (sign a fork with `ed25519Cosigner(names[i], keys[i], now)`).
 */
import { randomBytes } from 'node:crypto';
import { buildWitnessServer, type Evidence, type RateLimit, type WitnessServer } from '@sealpost/witness';

export interface StartWitnessesOptions {
  /** The logs the witnesses follow: Ed25519 note vkeys (`<origin>+<id>+<key>`). */
  logs: readonly string[];
  /** The cosignature clock, seconds since the epoch (default: the wall clock). */
  now?: () => number;
  /** How many must cosign (`group w <quorum> …`); default a majority, 2 of 3. */
  quorum?: number;
  /** Key names (default `witness.sealpost.test/w1` …). */
  names?: readonly string[];
  /** Policy names of the witnesses (default W1, W2, …). */
  policyNames?: readonly string[];
  /** add-checkpoint rate limit per address (default false: tests submit as fast as they like). */
  addCheckpointRateLimit?: RateLimit | false;
  /** pino level (default silent). */
  logLevel?: string;
}

export interface RunningWitnesses {
  /** Base URLs (`http://127.0.0.1:<port>`); add-checkpoint is `${url}/add-checkpoint`. */
  readonly urls: string[];
  /** cosignature/v1 verifier keys, in order. */
  readonly vkeys: string[];
  /** Key names, in order. */
  readonly names: string[];
  /** Secret keys (32 bytes), in order. */
  readonly keys: Uint8Array[];
  /** The servers, in order (e.g. `servers[i].witnessStore`). */
  readonly servers: WitnessServer[];
  /** A C2SP tlog-policy: `log` lines, one `witness` line each, `group w <quorum> W1 …`, `quorum w`. */
  readonly policyText: string;
  /** What witness `i` refused and kept (GET /evidence). */
  evidence(i: number): Promise<Evidence[]>;
  /** Stops every witness. */
  close(): Promise<void>;
}

export async function startWitnesses(n: number, options: StartWitnessesOptions): Promise<RunningWitnesses> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('startWitnesses needs at least one witness');
  const quorum = options.quorum ?? Math.floor(n / 2) + 1;
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > n) throw new RangeError(`quorum must be 1..${n}`);
  const names = Array.from({ length: n }, (_, i) => options.names?.[i] ?? `witness.sealpost.test/w${i + 1}`);
  const policyNames = Array.from({ length: n }, (_, i) => options.policyNames?.[i] ?? `W${i + 1}`);
  const keys = names.map(() => new Uint8Array(randomBytes(32)));
  const servers: WitnessServer[] = [];
  const urls: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const app = await buildWitnessServer({
        name: names[i]!,
        secretKey: keys[i]!,
        logVkeys: options.logs,
        ...(options.now === undefined ? {} : { now: options.now }),
        addCheckpointRateLimit: options.addCheckpointRateLimit ?? false,
        ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
      });
      servers.push(app);
      urls.push(await app.listen({ host: '127.0.0.1', port: 0 }));
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  const vkeys = servers.map((s) => s.witness.vkey);
  const policyText = [
    ...options.logs.map((vkey) => `log ${vkey}`),
    ...vkeys.map((vkey, i) => `witness ${policyNames[i]} ${vkey}`),
    `group w ${quorum} ${policyNames.join(' ')}`,
    'quorum w',
    '',
  ].join('\n');
  let closed = false;
  return {
    urls,
    vkeys,
    names,
    keys,
    servers,
    policyText,
    async evidence(i: number): Promise<Evidence[]> {
      const url = urls[i];
      if (url === undefined) throw new RangeError(`no witness ${i}`);
      const res = await fetch(`${url}/evidence`);
      if (res.status !== 200) throw new Error(`GET /evidence of witness ${i}: ${res.status}`);
      return ((await res.json()) as { evidence: Evidence[] }).evidence;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
