/**
 * The body of a VRF proving worker (vrf-prover.ts): proves each alpha of a
 * message under the secret key it was started with.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { vrfOutput, vrfProofToHash, vrfProve } from '@sealpost/keytrans';

const secretKey = (workerData as { secretKey: Uint8Array }).secretKey;
parentPort!.on('message', (m: { id: number; alphas: Uint8Array[] }) => {
  parentPort!.postMessage({ id: m.id, proofs: m.alphas.map((a) => {
    const proof = vrfProve(secretKey, a);
    return { proof, searchKey: vrfOutput(vrfProofToHash(proof)) };
  }) });
});
