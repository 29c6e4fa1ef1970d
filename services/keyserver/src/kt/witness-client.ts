/**
 * Submitting checkpoints to C2SP tlog-witnesses (c2sp.org/tlog-witness):
 *
 *   POST <url>/add-checkpoint
 *   old <size the witness has>\n <base64 consistency-proof hash>\n… \n <signed checkpoint note>
 *
 * 200: the witness's cosignature line(s), kept only if they verify under
 * its configured vkey. 409 with a `text/x.tlog.size` body: the witness is
 * at another size; we resubmit once from that size. Anything else (down,
 * 4xx, 5xx, timeout) leaves the checkpoint unwitnessed by that witness
 * until the next round. Nothing here throws.
 */
import { type NoteVerifier, ed25519CosignatureVerifier, openNote, parseVerifierKey } from '@sealpost/keytrans';
import { toBase64 } from '@sealpost/protocol/primitives';

export interface KtWitness {
  /** The witness's base URL (add-checkpoint is `<url>/add-checkpoint`). */
  url: string;
  /** Its cosignature/v1 verifier key (C2SP vkey, type 0x04). */
  vkey: string;
}

export type SubmitOutcome =
  | { ok: true; lines: string; size: number }
  | { ok: false; reason: 'unreachable' | 'refused' | 'ahead' | 'badCosignature'; status?: number; witnessSize?: number };

export class WitnessClient {
  readonly name: string;
  private readonly verifier: NoteVerifier;
  /** The size we believe the witness holds for our log (0 until it tells us otherwise). */
  knownSize = 0;

  constructor(
    readonly witness: KtWitness,
    private readonly timeoutMs: number,
  ) {
    this.name = parseVerifierKey(witness.vkey).name;
    this.verifier = ed25519CosignatureVerifier(witness.vkey);
  }

  /**
   * Submits the checkpoint `note` of `size`; `proof(from)` gives the RFC 6962
   * consistency proof from an older size.
   */
  async submit(note: string, size: number, proof: (from: number) => Uint8Array[]): Promise<SubmitOutcome> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = this.knownSize <= size ? this.knownSize : 0;
      const lines = old > 0 && old < size ? proof(old).map((h) => `${toBase64(h)}\n`) : [];
      let response: Response;
      try {
        response = await fetch(new URL('add-checkpoint', this.witness.url.endsWith('/') ? this.witness.url : `${this.witness.url}/`), {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: `old ${old}\n${lines.join('')}\n${note}`,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch {
        return { ok: false, reason: 'unreachable' };
      }
      const text = await response.text().catch(() => '');
      if (response.status === 200) {
        const verified = this.verifiedLines(note, text);
        if (verified === '') return { ok: false, reason: 'badCosignature', status: 200 };
        this.knownSize = size;
        return { ok: true, lines: verified, size };
      }
      if (response.status === 409 && /^(0|[1-9][0-9]{0,15})\n?$/.test(text)) {
        const witnessSize = Number(text.trim());
        // A witness holding more of our log than we have: it saw a checkpoint we never made (or we lost data).
        if (witnessSize > size) return { ok: false, reason: 'ahead', status: 409, witnessSize };
        this.knownSize = witnessSize;
        if (witnessSize === size) return { ok: false, reason: 'refused', status: 409, witnessSize };
        continue;
      }
      return { ok: false, reason: 'refused', status: response.status };
    }
    return { ok: false, reason: 'refused', status: 409 };
  }

  /** The response lines that are valid cosignatures of `note` by this witness. */
  private verifiedLines(note: string, body: string): string {
    let out = '';
    for (const line of body.split('\n')) {
      if (line === '') continue;
      try {
        const opened = openNote(`${note}${line}\n`, [this.verifier]);
        if (opened.verified.some((s) => s.name === this.verifier.name && s.keyId === this.verifier.keyId)) out += `${line}\n`;
      } catch {
        // not a valid cosignature line by this witness: dropped
      }
    }
    return out;
  }
}
