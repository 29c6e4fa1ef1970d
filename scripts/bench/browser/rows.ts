/** The rows of the browser benchmark, shared by the page (Chromium) and the driver (the Node column). */
import type { Implementation } from '../contract.ts';
import { dhRatchet, setup, symmetric } from '../message-scenarios.ts';
import type { Runner } from '../throughput.ts';

export interface BrowserRow {
  label: string;
  unit: string;
  /** True for the ratchet rows (the ≥ 10× target). */
  ratchet: boolean;
  runner: (impl: Implementation) => Promise<Runner>;
}

export const BROWSER_ROWS: readonly BrowserRow[] = [
  { label: '(1) symmetric enc+dec, 64 B', unit: 'msg/s', ratchet: true, runner: (impl) => symmetric(impl, 64) },
  { label: '(1) symmetric enc+dec, 1 KiB', unit: 'msg/s', ratchet: true, runner: (impl) => symmetric(impl, 1024) },
  { label: '(2) DH-ratchet ping-pong', unit: 'msg/s', ratchet: true, runner: (impl) => dhRatchet(impl) },
  { label: '(3) session setup', unit: 'setups/s', ratchet: false, runner: (impl) => setup(impl) },
];
