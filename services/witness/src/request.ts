/**
 * The tlog-witness add-checkpoint body:
 *
 *   old <size>\n
 *   <base64 32-byte hash>\n   (0 to 63 consistency-proof lines)
 *   \n
 *   <signed checkpoint note>
 *
 * Parsed strictly; anything else is a WitnessError 400.
 */
import { HASH_SIZE, MAX_TREE_SIZE } from '@sealpost/keytrans';
import { fromBase64, toBase64 } from '@sealpost/protocol/primitives';
import { WitnessError } from './errors.ts';

export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  /** The proof lines as received. */
  proofLines: string[];
  note: string;
}

export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const bad = (message: string): never => {
    throw new WitnessError(400, 'MALFORMED', message);
  };
  const blank = body.indexOf('\n\n');
  if (blank < 0) bad('the body has no blank line before the checkpoint');
  const header = body.slice(0, blank).split('\n');
  const note = body.slice(blank + 2);
  const m = /^old (0|[1-9][0-9]{0,15})$/.exec(header[0] ?? '');
  if (m === null) bad('the first line is not `old <size>`');
  const oldSize = Number(m![1]);
  if (oldSize > MAX_TREE_SIZE) bad('old size out of range');
  const proofLines = header.slice(1);
  if (proofLines.length > MAX_PROOF_LINES) bad(`more than ${MAX_PROOF_LINES} proof lines`);
  const proof = proofLines.map((line) => {
    let hash: Uint8Array;
    try {
      hash = fromBase64(line);
    } catch {
      return bad('a proof line is not base64');
    }
    if (hash.length !== HASH_SIZE || toBase64(hash) !== line) bad('a proof line is not a canonical base64 32-byte hash');
    return hash;
  });
  return { oldSize, proof, proofLines, note };
}
