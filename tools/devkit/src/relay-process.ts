/**
 * The relay as a CHILD PROCESS (`services/relay/src/main.ts` under tsx), so
 * it runs on its own core and can be SIGKILLed and restarted on the same
 * database — what the relay's end-to-end world and the relay benchmark use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toBase64 } from '@sealpost/protocol/primitives';

const RELAY_MAIN = join(dirname(createRequire(import.meta.url).resolve('@sealpost/relay')), 'main.ts');
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A free TCP port on loopback (so a restarted relay can come back on the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The relay running as a child process, with everything it printed. */
export class RelayProcess {
  readonly output: string[] = [];
  private proc: ChildProcess | undefined;

  constructor(
    readonly port: number,
    readonly dbPath: string,
    private readonly keyserverUrl: string,
    private readonly publicKey: Uint8Array,
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts) the relay and waits until it listens. */
  async start(): Promise<void> {
    const proc = spawn(
      process.execPath,
      // RELAY_NODE_ARGS: extra node flags for profiling runs (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
      [...(process.env.RELAY_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0), '--import', 'tsx', RELAY_MAIN, '--port', String(this.port), '--db', this.dbPath, '--keyserver-url', this.keyserverUrl, '--keyserver-public-key', toBase64(this.publicKey), ...this.extraArgs],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    );
    this.proc = proc;
    proc.stdout!.on('data', (c: Buffer) => this.output.push(c.toString('utf8')));
    proc.stderr!.on('data', (c: Buffer) => this.output.push(c.toString('utf8')));
    let exited = false;
    proc.once('exit', () => {
      exited = true;
    });
    // Ready when /health answers (works at any log level).
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`relay exited early: ${this.logs}`);
      if (Date.now() > deadline) throw new Error(`relay did not start: ${this.logs}`);
      try {
        const r = await fetch(`${this.url}/health`);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal and waits for the process to exit. */
  stop(signal: NodeJS.Signals): Promise<number | null> {
    const proc = this.proc;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc?.exitCode ?? null);
    return new Promise((resolve) => {
      proc.once('exit', (code) => resolve(code));
      proc.kill(signal);
    });
  }

  /** Process id of the running relay (for CPU accounting in the benchmark). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Everything the relay printed so far. */
  get logs(): string {
    return this.output.join('');
  }
}
