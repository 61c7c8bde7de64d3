// Runs one benchmark job in a fresh headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): one browser launch per job, so every engine/precision/thread-count setting gets
// its own renderer process, as the Node half gets its own child process.
// Peak memory = the renderer process's VmHWM (Linux /proc), found through CDP SystemInfo.

import fs from 'node:fs';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export const CHROMIUM = process.env.BERTOLOGY_CHROMIUM ?? '/usr/bin/chromium';

/** @param {number} pid */
function procStatusMb(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number((s.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')) ?? [])[1] ?? NaN);
    return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/**
 * @param {object} job the page's job (see bench/browser/page.mjs)
 * @param {string} baseUrl the bench server's origin
 * @param {{timeoutMs: number, executablePath?: string, nice?: number, page?: string}} options (page: the
 *   page's path, default the engine benchmark's)
 */
export async function runInChromium(job, baseUrl, { timeoutMs, executablePath = CHROMIUM, nice = 0, page: pagePath = '/bench/browser/page.html' }) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: FLAGS });
  try {
    const cdp = await browser.newBrowserCDPSession();
    if (nice) {
      // Playwright starts the browser in a session of its own, i.e. its own scheduler autogroup:
      // give that autogroup the benchmark's priority (see --nice in bench/run.mjs).
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
      const main = processInfo.find((p) => p.type === 'browser');
      try {
        if (main && fs.readFileSync(`/proc/${main.id}/autogroup`, 'utf8') !== fs.readFileSync('/proc/self/autogroup', 'utf8')) {
          fs.writeFileSync(`/proc/${main.id}/autogroup`, String(nice));
        }
      } catch { /* no autogroups here */ }
    }
    const page = await browser.newPage();
    const console = [];
    page.on('console', (m) => console.push(m.text()));
    page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
    const rendererPids = async () => {
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
      return processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
    };
    // The page calls this after loading and after each shape; with one page per browser there is
    // one renderer, but take the largest if Chromium spawned a spare.
    await page.exposeFunction('benchPeakMemory', async () => {
      const all = (await rendererPids()).map(procStatusMb).filter(Boolean);
      return all.length ? Math.max(...all.map((m) => m.hwm)) : null;
    });
    await page.goto(`${baseUrl}${pagePath}?job=${encodeURIComponent(JSON.stringify(job))}`);
    await page.waitForFunction(() => window.__benchResult !== undefined, null, { timeout: timeoutMs, polling: 500 });
    const result = await page.evaluate(() => window.__benchResult);
    const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
    result.cpu_seconds = processInfo.reduce((s, p) => s + (p.cpuTime ?? 0), 0);
    result.browser_version = browser.version();
    if (result.error) result.console = console.slice(-20);
    return result;
  } finally {
    await browser.close();
  }
}
