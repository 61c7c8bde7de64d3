// Shared by the Chromium tests of this folder: the browser (playwright-core driving Debian's
// /usr/bin/chromium, CHROMIUM to override), its flags, why a test must skip, and a fresh profile.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, SKIP_REASON } from '../js/helpers/shared.js';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
  // nothing may resolve but 127.0.0.1
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];

/** @type {any} */
export let playwright = null;
try {
  playwright = await import('playwright-core');
} catch { /* reported by BROWSER_SKIP */ }

/** Why the Chromium tests skip (shared assets, playwright-core, Chromium, the build), or false. */
export const BROWSER_SKIP = SKIP_REASON ||
  (!playwright && 'playwright-core is not installed (npm install)') ||
  (!existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`) ||
  (!existsSync(join(REPO, 'dist', 'bertology-st.wasm')) && 'dist/ is not built (npm run build)');

/**
 * Headless Chromium on a fresh profile directory (the caller removes `userDataDir`).
 * @param {string} prefix of the temporary profile directory
 */
export async function launchChromium(prefix) {
  const userDataDir = mkdtempSync(join(tmpdir(), prefix));
  const context = await playwright.chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, ignoreDefaultArgs: ['--headless=new'],
  });
  return { context, userDataDir };
}
