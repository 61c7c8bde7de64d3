// Shared by the extension tests: launching Debian's Chromium with the unpacked extension, a proxy
// that records every request meant to leave 127.0.0.1, and the static "no remote code" scan.

import { createServer } from 'node:http';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** @type {any} */
export let playwright = null;
try {
  playwright = await import('playwright-core');
} catch { /* tests skip */ }

/**
 * A forward proxy that refuses everything and records what was asked for. Chromium is started with
 * it as its proxy (loopback bypasses it), so any request for a non-loopback host from any context
 * (pages, the service worker, the offscreen document, workers, the browser itself) lands here.
 */
export async function startTrapProxy() {
  /** @type {string[]} */
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  server.on('connect', (req, socket) => {
    requests.push(`CONNECT ${req.url}`);
    // Chromium may reset a refused tunnel: without a listener that ECONNRESET would surface as an
    // uncaught exception after the test that caused it had ended.
    socket.on('error', () => {});
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`, requests,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok(undefined)); }),
  };
}

/**
 * Chromium (new headless mode) with the unpacked extension at `extDir`, all non-loopback traffic
 * sent to `proxyUrl`, and a NetLog (every request with its initiator) written to `netLogPath`.
 * @param {string} extDir
 * @param {string} userDataDir
 * @param {string} proxyUrl
 * @param {string} netLogPath
 */
export async function launchWithExtension(extDir, userDataDir, proxyUrl, netLogPath) {
  const context = await playwright.chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false, // Playwright's headless flag selects the old mode; extensions need --headless=new
    args: ['--headless=new', `--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`,
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
      `--proxy-server=${proxyUrl}`, // loopback bypasses a proxy by default
      `--log-net-log=${netLogPath}`],
  });
  let [worker] = context.serviceWorkers();
  worker ??= await context.waitForEvent('serviceworker', { timeout: 20_000 });
  const id = new URL(worker.url()).host;
  return { context, worker, id };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The requests of a Chromium NetLog (complete after the browser closed): url, method and initiator,
 * where initiator is the origin of the page, worker or extension context that made the request, or
 * 'not an origin' for the browser's own requests (component updates, account checks, navigations
 * started by the test driver).
 * @param {string} path
 * @returns {{url: string, method: string, initiator: string, external: boolean}[]}
 */
export function netLogRequests(path) {
  const text = readFileSync(path, 'utf8').trim();
  let log;
  try {
    log = JSON.parse(text);
  } catch {
    log = JSON.parse(`${text.replace(/,\s*$/, '')}]}`); // cut off while writing
  }
  const START = log.constants.logEventTypes.URL_REQUEST_START_JOB;
  return log.events.filter((/** @type {any} */ e) => e.type === START && e.params?.url)
    .map((/** @type {any} */ e) => {
      const url = new URL(e.params.url);
      return { url: url.href, method: e.params.method, initiator: e.params.initiator ?? 'not an origin',
        external: !LOOPBACK.has(url.hostname) && /^(https?|wss?):$/.test(url.protocol) };
    });
}

/**
 * The extension's renderer process (service worker, offscreen document and its worker, popup):
 * resident set size in bytes, from /proc (Linux); null if not found.
 */
export function extensionProcessRss() {
  try {
    const ps = execFileSync('ps', ['-eo', 'pid=,rss=,args='], { encoding: 'utf8' });
    const rows = ps.split('\n').filter((l) => l.includes('--type=renderer') && l.includes('--extension-process'));
    if (rows.length !== 1) return null;
    return Number(rows[0].trim().split(/\s+/)[1]) * 1024;
  } catch {
    return null;
  }
}

/** @param {string} dir @returns {string[]} relative paths of every file under dir */
export function listFiles(dir) {
  /** @type {string[]} */
  const out = [];
  const walk = (/** @type {string} */ d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const REMOTE = String.raw`(?:https?:)?\/\/[^'"\x60\s)]+`;
/** Code-loading references in scripts whose target is a remote URL. */
const SCRIPT_RULES = [
  ['static import', new RegExp(String.raw`\b(?:import|export)\b[^;'"\x60]*?\bfrom\s*['"\x60]${REMOTE}['"\x60]`, 'g')],
  ['bare import', new RegExp(String.raw`\bimport\s*['"\x60]${REMOTE}['"\x60]`, 'g')],
  ['dynamic import', new RegExp(String.raw`\bimport\s*\(\s*['"\x60]${REMOTE}['"\x60]`, 'g')],
  ['importScripts', new RegExp(String.raw`\bimportScripts\s*\([^)]*['"\x60]${REMOTE}['"\x60]`, 'g')],
  ['worker', new RegExp(String.raw`\bnew\s+(?:Shared)?Worker\s*\(\s*(?:new\s+URL\s*\(\s*)?['"\x60]${REMOTE}['"\x60]`, 'g')],
  ['script or wasm URL', new RegExp(String.raw`['"\x60]${REMOTE}\.(?:m?js|cjs|wasm)(?:[?#][^'"\x60]*)?['"\x60]`, 'g')],
  ['eval', /(?<![.\w$])(?:eval\s*\(|new\s+Function\s*\()/g],
];

/**
 * Scans an extension directory for remote code: remote script/wasm/worker/import URLs in scripts,
 * remote <script>/<link>/<iframe> in HTML, inline scripts, eval / new Function, and a manifest whose
 * CSP allows anything but the extension's own scripts and wasm. Comments are not exempt.
 * @param {string} dir
 * @returns {string[]} violations ("file: what")
 */
export function scanForRemoteCode(dir) {
  /** @type {string[]} */
  const problems = [];
  for (const file of listFiles(dir)) {
    const path = join(dir, file);
    if (/\.(m?js|cjs)$/.test(file)) {
      const text = readFileSync(path, 'utf8');
      for (const [what, re] of SCRIPT_RULES) {
        for (const m of text.matchAll(/** @type {RegExp} */ (re))) problems.push(`${file}: ${what}: ${m[0].slice(0, 120)}`);
      }
    } else if (/\.html?$/.test(file)) {
      const html = readFileSync(path, 'utf8');
      for (const m of html.matchAll(/<(script|link|iframe|img|embed|object)\b[^>]*>/gi)) {
        const src = /\b(?:src|href|data)\s*=\s*["']?([^"'\s>]+)/i.exec(m[0])?.[1];
        if (src && /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(src)) problems.push(`${file}: remote ${m[1]}: ${src}`);
        if (m[1].toLowerCase() === 'script' && !src) problems.push(`${file}: inline script`);
      }
      if (/\son[a-z]+\s*=/i.test(html)) problems.push(`${file}: inline event handler`);
    }
  }
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return [...problems, 'manifest.json missing'];
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const csp = manifest.content_security_policy?.extension_pages ?? '';
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean)
    .map((d) => { const [name, ...values] = d.split(/\s+/); return [name, values]; }));
  const scriptSrc = directives['script-src'] ?? directives['default-src'];
  if (!scriptSrc || scriptSrc.join(' ') !== "'self' 'wasm-unsafe-eval'") {
    problems.push(`manifest.json: script-src must be exactly 'self' 'wasm-unsafe-eval', got ${JSON.stringify(scriptSrc)}`);
  }
  for (const d of ['worker-src', 'default-src', 'object-src']) {
    const extra = (directives[d] ?? []).filter((/** @type {string} */ v) => !["'self'", "'wasm-unsafe-eval'", "'none'"].includes(v));
    if (extra.length) problems.push(`manifest.json: ${d} allows ${extra.join(' ')}`);
  }
  if (manifest.content_security_policy?.sandbox) problems.push('manifest.json: sandboxed pages');
  const localScripts = [manifest.background?.service_worker, ...(manifest.content_scripts ?? []).flatMap((c) => c.js ?? [])];
  for (const s of localScripts.filter(Boolean)) {
    if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(s) || !existsSync(join(dir, s))) problems.push(`manifest.json: script ${s} is not a file of the extension`);
  }
  if (manifest.externally_connectable) problems.push('manifest.json: externally_connectable');
  return problems;
}
