/**
 * `@sealpost/devkit/chromium`: the machine's Chromium for browser tests,
 * driven by playwright-core. No browser is downloaded: tests use Debian's
 * `/usr/bin/chromium` (or `SEALPOST_CHROMIUM`), and the browser suites are
 * skipped with one line when it is missing (`.ci/run` installs it).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Where Chromium is expected. */
export function chromiumPath(): string {
  return process.env.SEALPOST_CHROMIUM ?? '/usr/bin/chromium';
}

/** True when the browser suites can run (`describe.runIf(chromiumAvailable())`). */
export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath());
}

/**
 * The flags this machine needs: headless, no sandbox (CI runs as root), and
 * no background networking (the closed network refuses Google's hosts).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Launches headless Chromium with the machine's flags. */
export async function launchChromium(options: Omit<LaunchOptions, 'executablePath'> = {}): Promise<Browser> {
  return chromium.launch({ ...options, executablePath: chromiumPath(), headless: true, args: [...CHROMIUM_FLAGS, ...(options.args ?? [])] });
}
