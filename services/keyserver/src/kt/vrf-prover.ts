/**
 * ECVRF proving for the sequencer. A proof costs ~4 ms of CPU (noble,
 * quiet machine; more under load), which bounds how many new labels a
 * second the log takes. `VrfProver` hides where that work runs:
 *
 * - `inlineVrfProver`: on the calling thread, yielding to the event loop
 *   between proofs so requests keep being served;
 * - `WorkerVrfProver`: a pool of worker_threads (one per spare core), the
 *   batch split evenly; under tsx/vitest the worker loads the TypeScript
 *   source through tsx's ESM hook, in a build it loads the compiled file.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { vrfOutput, vrfProofToHash, vrfProve } from '@sealpost/keytrans';
import type { VrfProofRow } from './kt-store.ts';

export interface VrfProver {
  /** Proofs of `alphas` with their outputs (same order). */
  prove(alphas: readonly Uint8Array[]): Promise<VrfProofRow[]>;
  close(): Promise<void>;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A proof and its output (the output recomputed from the proof, as a verifier would). */
export function proveWithOutput(secretKey: Uint8Array, alpha: Uint8Array): VrfProofRow {
  const proof = vrfProve(secretKey, alpha);
  return { proof, searchKey: vrfOutput(vrfProofToHash(proof)) };
}

export function inlineVrfProver(secretKey: Uint8Array): VrfProver {
  const key = secretKey.slice();
  return {
    async prove(alphas) {
      const out: VrfProofRow[] = [];
      for (const a of alphas) {
        out.push(proveWithOutput(key, a));
        await yieldToEventLoop();
      }
      return out;
    },
    async close() {},
  };
}

/** The worker's entry: the .ts source through tsx when we run from source, else the compiled .js. */
function workerSource(): { code: string } {
  const self = import.meta.url;
  const ts = self.endsWith('.ts');
  const target = new URL(ts ? './vrf-worker.ts' : './vrf-worker.js', self).href;
  if (!ts) return { code: `import(${JSON.stringify(target)});` };
  const tsxApi = pathToFileURL(createRequire(self).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  return { code: `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });` };
}

export class WorkerVrfProver implements VrfProver {
  private readonly workers: Worker[];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (p: VrfProofRow[]) => void; reject: (e: unknown) => void }>();

  constructor(secretKey: Uint8Array, threads: number) {
    const { code } = workerSource();
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      const w = new Worker(code, { eval: true, workerData: { secretKey: secretKey.slice() } });
      w.on('message', (m: { id: number; proofs: VrfProofRow[] }) => {
        const job = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        this.refWhileBusy();
        job?.resolve(m.proofs.map((p) => ({ proof: new Uint8Array(p.proof), searchKey: new Uint8Array(p.searchKey) })));
      });
      w.on('error', (e) => {
        for (const job of this.waiting.values()) job.reject(e);
        this.waiting.clear();
        this.refWhileBusy();
      });
      // Idle workers do not keep the process alive; busy ones do (an awaited proof must arrive).
      w.unref();
      return w;
    });
  }

  async prove(alphas: readonly Uint8Array[]): Promise<VrfProofRow[]> {
    if (alphas.length === 0) return [];
    const per = Math.ceil(alphas.length / this.workers.length);
    const parts: Promise<VrfProofRow[]>[] = [];
    for (let i = 0, w = 0; i < alphas.length; i += per, w++) {
      const id = this.nextId++;
      parts.push(new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject })));
      this.workers[w]!.postMessage({ id, alphas: alphas.slice(i, i + per) });
    }
    this.refWhileBusy();
    return (await Promise.all(parts)).flat();
  }

  private refWhileBusy(): void {
    for (const w of this.workers) {
      if (this.waiting.size > 0) w.ref();
      else w.unref();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
