/** What `scripts/demo.ts` hands each feature step (demo-receipts.ts, demo-conversations.ts, demo-edits.ts, demo-disappearing.ts). */
import type { SealpostClient } from '@sealpost/client';

export interface DemoStepContext {
  alice: SealpostClient;
  bobPhone: SealpostClient;
  bobLaptop: SealpostClient;
  /** Account (and group) display names. */
  names: Map<string, string>;
  /** Prints a step title (and the previous step's user and relay views). */
  step: (title: string) => void;
  style: { dim: (s: string) => string; green: (s: string) => string };
}
