// Helpers of the demo's browser tests: Chromium through playwright-core, the demo server, driving
// a tab through its form, tolerance comparisons, and the Node-side expectations.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = process.env.BERTOLOGY_SHARED ?? resolve(ROOT, '..', 'shared');
export const MODELS = join(SHARED, 'models');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = resolve(ROOT, process.env.BERTOLOGY_SCREENSHOTS ?? 'docs/screenshots');

/** Why the browser tests cannot run here, or null. */
export function skipReason() {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y --no-install-recommends chromium)`;
  if (!existsSync(join(MODELS, 'bert-mini-sst2', 'config.json'))) return `shared models not found in ${MODELS}`;
  if (!existsSync(join(ROOT, 'dist', 'bertology.mjs'))) return 'dist/ is missing (npm run build)';
  if (!existsSync(join(ROOT, 'node_modules', 'playwright-core'))) return 'playwright-core is not installed (npm install)';
  return null;
}

/**
 * Starts the demo server and a fresh headless Chromium; records every request the page (and its
 * workers) makes.
 * @param {{isolation: boolean, models?: string}} options models: the models directory (default: the shared models)
 */
export async function openDemo({ isolation, models = MODELS }) {
  const { chromium } = await import('playwright-core');
  const { startDemoServer } = await import('../../demo/server.mjs');
  const server = await startDemoServer({ models, isolation, port: 0 });
  const userDataDir = mkdtempSync(join(tmpdir(), 'bertology-demo-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, acceptDownloads: true,
    viewport: { width: 1100, height: 860 }, deviceScaleFactor: 1,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  /** @type {string[]} */
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = context.pages()[0] ?? await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    addEventListener('DOMContentLoaded', () => {
      const p = document.getElementById('progress');
      if (p) new MutationObserver(() => { if (!p.hidden) /** @type {any} */ (window).__progressSeen = true; }).observe(p, { attributes: true });
    });
  });
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', 'the demo started');
  return {
    server, context, page, requests, errors,
    async close() {
      await context.close();
      await server.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Fills a tab's form, clicks Run and waits until the page shows the result or a message.
 * @param {import('playwright-core').Page} page
 * @param {string} id tab id
 * @param {Record<string, string>} fields selector (inside the panel) → value (textarea/input: fill; select: choose)
 */
export async function runTab(page, id, fields = {}) {
  await page.evaluate((tab) => {
    const d = /** @type {any} */ (window).__bertologyDemo;
    d.select(tab);
    d.tabs[tab].last = undefined;
  }, id);
  for (const [selector, value] of Object.entries(fields)) {
    const loc = page.locator(`#panel-${id} ${selector}`);
    if (await loc.evaluate((e) => e.tagName === 'SELECT')) await loc.selectOption(value);
    else if (await loc.evaluate((e) => /** @type {HTMLInputElement} */ (e).type === 'checkbox')) await loc.setChecked(value === 'true');
    else await loc.fill(value);
  }
  await page.click(`#panel-${id} [data-action=run]`);
  await page.waitForFunction((tab) => {
    const t = /** @type {any} */ (window).__bertologyDemo.tabs[tab];
    return t.last !== undefined && !t.busy;
  }, id, { timeout: 120_000 });
  return page.evaluate((tab) => {
    const t = /** @type {any} */ (window).__bertologyDemo.tabs[tab];
    const brief = (/** @type {any} */ r) => ({
      result: r.result, error: r.error, threads: r.threads, variant: r.variant, latencyMs: r.latencyMs, task: r.task,
      attention: r.attention ? { seq: r.attention.seq, tokens: r.attention.tokens, layers: r.attention.layers, heads: r.attention.heads } : null,
    });
    return t.last.runs ? { runs: t.last.runs.map(brief) } : brief(t.last);
  }, id);
}

/**
 * Opens a tab's Explain panel (after a run), sets its controls, clicks Explain and waits until the
 * page shows the explanation or a message; resolves with the panel's `last` (the explanation or {error}).
 * @param {import('playwright-core').Page} page
 * @param {string} id tab id
 * @param {{method?: string, steps?: string, samples?: string, target?: string}} [controls]
 */
export async function runExplain(page, id, controls = {}) {
  const panel = `#panel-${id} details.explain`;
  await page.waitForSelector(`${panel}:not([hidden])`);
  if (!(await page.locator(panel).evaluate((d) => /** @type {HTMLDetailsElement} */ (d).open))) await page.click(`${panel} > summary`);
  await page.evaluate((tab) => { /** @type {any} */ (window).__bertologyDemo.tabs[tab].explain.last = undefined; }, id);
  if (controls.method) await page.locator(`${panel} select[name=explain-method]`).selectOption(controls.method);
  if (controls.steps) await page.locator(`${panel} input[name=explain-steps]`).fill(controls.steps);
  if (controls.samples) await page.locator(`${panel} input[name=explain-samples]`).fill(controls.samples);
  if (controls.target) await page.locator(`${panel} select[name=explain-target]`).selectOption(controls.target);
  await page.click(`${panel} [data-action=explain]`);
  await page.waitForFunction((tab) => {
    const p = /** @type {any} */ (window).__bertologyDemo.tabs[tab].explain;
    return p.last !== undefined && !p.busy;
  }, id, { timeout: 120_000 });
  return page.evaluate((tab) => /** @type {any} */ (window).__bertologyDemo.tabs[tab].explain.last, id);
}

/**
 * The coloured words of a tab's explanation as shown: text, the attribution and sign they carry,
 * their background colour [r, g, b], whether they are the explained token, and their sequence (QA).
 * @param {import('playwright-core').Page} page @param {string} id
 */
export function explainedWords(page, id) {
  return page.$$eval(`#panel-${id} .explain-out .xw`, (spans) => spans.map((s) => {
    const e = /** @type {HTMLElement} */ (s);
    return {
      text: e.textContent, attribution: Number(e.dataset.attribution), sign: Number(e.dataset.sign),
      rgb: (getComputedStyle(e).backgroundColor.match(/\d+/g) ?? []).slice(0, 3).map(Number),
      target: e.classList.contains('xw-target'), sequence: Number(e.closest('[data-sequence]')?.getAttribute('data-sequence')),
    };
  }));
}

/** State of a panel after a run: messages shown, nothing busy. @param {import('playwright-core').Page} page @param {string} id */
export async function panelState(page, id) {
  return page.evaluate((tab) => {
    const panel = /** @type {HTMLElement} */ (document.getElementById(`panel-${tab}`));
    return {
      messages: [...panel.querySelectorAll('.msg')].map((m) => ({ kind: /** @type {HTMLElement} */ (m).dataset.kind ?? m.className, text: m.textContent })),
      busy: panel.hasAttribute('aria-busy') || [...document.querySelectorAll('button')].some((b) => b.disabled),
      spinners: [...panel.querySelectorAll('.spinner')].filter((s) => getComputedStyle(s).display !== 'none').length,
      meta: [...panel.querySelectorAll('.result-meta')].map((m) => /** @type {HTMLElement} */ (m).dataset.threads),
    };
  }, id);
}

/**
 * Asserts `actual` equals `expected`: numbers within `tol`, everything else exactly.
 * @param {any} actual @param {any} expected @param {number} tol @param {string} [path]
 */
export function assertClose(actual, expected, tol, path = '$') {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${path}: expected a number, got ${JSON.stringify(actual)}`);
    assert.ok(Math.abs(actual - expected) <= tol, `${path}: ${actual} vs ${expected} (tolerance ${tol})`);
    return;
  }
  if (Array.isArray(expected) || ArrayBuffer.isView(expected)) {
    const e = Array.from(/** @type {any} */ (expected));
    assert.ok(Array.isArray(actual) || ArrayBuffer.isView(actual), `${path}: expected an array`);
    const a = Array.from(actual);
    assert.equal(a.length, e.length, `${path}: length`);
    e.forEach((x, i) => assertClose(a[i], x, tol, `${path}[${i}]`));
    return;
  }
  if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const k of Object.keys(expected)) {
      if (k === 'attentions' || k === 'hidden_states') continue;
      assertClose(actual[k], expected[k], tol, `${path}.${k}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, path);
}

/** A plain copy of a pipeline result without the extra tensors. @param {any} r */
export function plain(r) {
  if (Array.isArray(r)) return r.map(plain);
  if (r && typeof r === 'object' && !ArrayBuffer.isView(r)) {
    if (r.data && r.dims) return { data: Array.from(r.data), dims: Array.from(r.dims) };
    return Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'attentions' && k !== 'hidden_states').map(([k, v]) => [k, plain(v)]));
  }
  return r;
}

/**
 * Rollout of [CLS] computed independently (full matrix products): Â_l = (mean_h A_l + I) / rowsum,
 * R = Â_L ⋯ Â_1, row 0.
 * @param {Float32Array} data [layers, 1, heads, seq, seq] @param {number[]} dims
 */
export function rolloutCls(data, dims) {
  const [layers, , heads, seq] = dims;
  const hat = (/** @type {number} */ l) => {
    const m = Array.from({ length: seq }, () => new Float64Array(seq));
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seq; i++) for (let j = 0; j < seq; j++) m[i][j] += data[(((l * heads) + h) * seq + i) * seq + j] / heads;
    }
    for (let i = 0; i < seq; i++) {
      m[i][i] += 1;
      const s = m[i].reduce((a, b) => a + b, 0);
      for (let j = 0; j < seq; j++) m[i][j] /= s;
    }
    return m;
  };
  let r = hat(0);
  for (let l = 1; l < layers; l++) {
    const a = hat(l);
    r = a.map((row) => {
      const out = new Float64Array(seq);
      for (let k = 0; k < seq; k++) for (let j = 0; j < seq; j++) out[j] += row[k] * r[k][j];
      return out;
    });
  }
  return Array.from(r[0]);
}
