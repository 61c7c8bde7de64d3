// The package in real web apps, built by real bundlers, run in real Chromium — examples/vite (Vite 8,
// and the same app with Vite 6), examples/webpack (webpack 5), examples/esbuild, examples/rollup
// (Rollup + @rollup/plugin-node-resolve):
//
//   1. `npm pack` the package; copy each example to a temporary directory next to the tarball and
//      `npm install` it (registry packages through the npm cache: --prefer-offline);
//   2. run the example's production build (`npm run build`: the bundler from its devDependencies);
//   3. serve the output on 127.0.0.1 (web/dev-server.mjs) with COOP/COEP and without, the shared
//      bert-mini-sst2 (sharded) at /models/; in headless Chromium open the page (?threads=2) and the
//      page with ?worker=1 (the app's worker importing bertology/worker): the label and score of the
//      example's text must equal the Node API's (pipeline() in this process, ±1e-4), runtime.threads
//      must be 2 (threaded build) when isolated and 1 (single-threaded) when not;
//   4. examples/vite under Vite's dev server (its default appType 'spa', which answers unknown paths
//      with index.html; isolation from the app's vite.config.js), Vite 8 and 6, with a standard
//      single-file model.safetensors folder in public/models/ (merged from the shared shards here);
//   5. each example's code type-checks against the installed package (TypeScript, strict, checkJs,
//      moduleResolution nodenext and bundler).
//
// Cost, measured on the 2-core machine while shared (load 8–20): about 2 minutes in all, warm or with
// an empty npm cache (cold: the five installs fetch ~80 MB from the registry in ~30 s; warm ~20 s);
// builds ~40 s (webpack ~20 s of it), 26 page loads in Chromium. Skips when Chromium, playwright-core,
// the build, the shared models, npm or TypeScript are missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BROWSER_SKIP, launchChromium } from '../browser/chromium.mjs';
import { startDevServer } from '../../web/dev-server.mjs';
import { pipeline } from '../../js/index.js';
import { REPO, sharedPath } from '../js/helpers/shared.js';
import { mergeShards } from '../js/helpers/merge-shards.js';

const run = promisify(execFile);
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const TEXT = 'I loved the movie!'; // the examples' default text (index.html)
const npmOk = await run('npm', ['--version']).then(() => true, () => false);
const skip = BROWSER_SKIP || (!npmOk && 'npm is not available') || (!existsSync(TSC) && 'typescript is not installed (npm ci)');
const NPM_ENV = {
  ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false',
  npm_config_prefer_offline: 'true', npm_config_loglevel: 'error',
};

/**
 * The apps: example directory, where its build output is served from, extra package.json changes.
 * @type {{name: string, example: string, out: string, devDependencies?: Record<string, string>, dev?: boolean}[]}
 */
const APPS = [
  { name: 'vite', example: 'vite', out: 'dist', dev: true },
  { name: 'vite6', example: 'vite', out: 'dist', dev: true, devDependencies: { vite: '6.4.6' } },
  { name: 'webpack', example: 'webpack', out: '.' },
  { name: 'esbuild', example: 'esbuild', out: 'public' },
  { name: 'rollup', example: 'rollup', out: 'public' },
];

/** @type {string} */
let work;
/** @type {{label: string, score: number}} */
let expected;
/** @type {Awaited<ReturnType<typeof launchChromium>>} */
let browser;
/** @type {string[]} */
const pageErrors = [];

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'bertology-bundlers-'));
  const classifier = await pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads: 1 });
  expected = (await classifier(TEXT))[0];
  await classifier.dispose();
  await run('npm', ['pack', '--pack-destination', work], { cwd: REPO, env: NPM_ENV, timeout: 300_000 });
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'npm pack wrote a tarball');
  renameSync(join(work, tgz), join(work, 'bertology.tgz')); // the examples depend on file:../bertology.tgz
  browser = await launchChromium('bertology-chromium-bundlers-');
});

after(async () => {
  await browser?.context.close();
  if (browser) rmSync(browser.userDataDir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no page errors');
});

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/**
 * Opens `url` and returns what the example shows: {label, score, runtime} (or throws with its error).
 * @param {string} url
 */
async function classifyIn(url) {
  const page = await browser.context.newPage();
  /** @type {string[]} */
  const console_ = [];
  page.on('console', (/** @type {any} */ m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (/** @type {any} */ e) => pageErrors.push(`${url}: ${e.message}`));
  try {
    await page.goto(url);
    await page.waitForSelector('#result[data-state]', { timeout: 120_000 });
    const state = await page.getAttribute('#result', 'data-state');
    const text = await page.textContent('#result');
    if (state !== 'done') throw new Error(`${url}: ${text}\n${console_.join('\n')}`);
    const ms = Number(await page.getAttribute('#result', 'data-ms'));
    assert.ok(ms > 0, 'data-ms: time to the first result');
    return { ...JSON.parse(/** @type {string} */ (text)), ms };
  } finally {
    await page.close();
  }
}

/**
 * @param {any} shown what the page showed
 * @param {boolean} isolated
 */
function assertResult(shown, isolated) {
  assert.equal(shown.label, expected.label);
  assert.ok(Math.abs(shown.score - expected.score) <= 1e-4, `score ${shown.score} vs Node's ${expected.score}`);
  assert.equal(shown.runtime.threads, isolated ? 2 : 1, JSON.stringify(shown.runtime));
  assert.equal(shown.runtime.variant, isolated ? 'threads' : 'single');
  if (isolated) assert.equal(shown.runtime.fallback, null);
  else assert.match(shown.runtime.fallback, /SharedArrayBuffer|cross-origin/);
}

for (const app of APPS) {
  describe(`examples/${app.example}${app.devDependencies ? ` with ${JSON.stringify(app.devDependencies)}` : ''}`, { skip, timeout: 900_000 }, () => {
    const dir = () => join(work, app.name);

    test('npm install the packed tarball, production build', async (t) => {
      cpSync(join(REPO, 'examples', app.example), dir(), {
        recursive: true, filter: (src) => !/[/\\](node_modules|dist|assets|bertology|models)$/.test(src),
      });
      if (app.devDependencies) {
        const pkg = JSON.parse(readFileSync(join(dir(), 'package.json'), 'utf8'));
        Object.assign(pkg.devDependencies, app.devDependencies);
        writeFileSync(join(dir(), 'package.json'), JSON.stringify(pkg, null, 2));
      }
      let started = Date.now();
      await run('npm', ['install'], { cwd: dir(), env: NPM_ENV, timeout: 600_000 });
      t.diagnostic(`npm install: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const installed = JSON.parse(readFileSync(join(dir(), 'node_modules', 'bertology', 'package.json'), 'utf8'));
      assert.equal(installed.version, JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
      started = Date.now();
      const { stdout, stderr } = await run('npm', ['run', 'build'], { cwd: dir(), env: NPM_ENV, timeout: 600_000 });
      t.diagnostic(`npm run build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.doesNotMatch(`${stdout}${stderr}`, /\berror\b/i, `${stdout}${stderr}`);
    });

    test('its code type-checks against the installed package (strict, checkJs; nodenext and bundler)', async () => {
      for (const resolution of ['nodenext', 'bundler']) {
        const config = join(dir(), `tsconfig.${resolution}.json`);
        writeFileSync(config, JSON.stringify({
          compilerOptions: {
            strict: true, allowJs: true, checkJs: true, noEmit: true, target: 'es2022',
            module: resolution === 'nodenext' ? 'nodenext' : 'esnext', moduleResolution: resolution,
            lib: ['es2023', 'dom', 'dom.iterable'], types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')],
          },
          include: ['src/**/*.js', '*.js', '*.mjs', '*.cjs'],
        }));
        const errors = await run(process.execPath, [TSC, '-p', config, '--pretty', 'false'], { cwd: dir() })
          .then(() => '', (e) => `${e.stdout}${e.stderr}`);
        assert.equal(errors, '', `moduleResolution ${resolution}:\n${errors}`);
      }
    });

    for (const isolated of [true, false]) {
      test(`production build served ${isolated ? 'with' : 'without'} COOP/COEP: page and worker`, async (t) => {
        const server = await startDevServer({ roots: { '/': join(dir(), app.out), '/models/': sharedPath('models') }, coi: isolated });
        try {
          for (const query of ['?threads=2', '?threads=2&worker=1']) {
            const shown = await classifyIn(`${server.url}${query}`);
            t.diagnostic(`${query}: ${JSON.stringify(shown)}`);
            assertResult(shown, isolated);
          }
          // the shared checkpoint is sharded: the loader's request for the usual single model.safetensors
          // (made at once, beside the index's) is answered 404
          const failed = server.requests.filter((r) => r.status >= 400 && r.url !== '/favicon.ico' &&
            !(r.status === 404 && /^\/models\/[^/]+\/model\.safetensors$/.test(r.url)));
          assert.deepEqual(failed, [], 'every file the app asked for exists');
        } finally {
          await server.close();
        }
      });
    }

    if (app.dev) {
      test('Vite dev server (appType spa), single-file model.safetensors: page and worker', async (t) => {
        mergeShards(sharedPath('models', 'bert-mini-sst2'), join(dir(), 'public', 'models', 'bert-mini-sst2'));
        const port = await freePort();
        const vite = spawn(process.execPath, [join('node_modules', 'vite', 'bin', 'vite.js'), '--port', String(port),
          '--strictPort', '--host', '127.0.0.1'], { cwd: dir(), stdio: ['ignore', 'pipe', 'pipe'] });
        let log = '';
        vite.stdout.on('data', (d) => { log += d; });
        vite.stderr.on('data', (d) => { log += d; });
        try {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`vite did not start:\n${log}`)), 60_000);
            vite.stdout.on('data', () => { if (/ready in/.test(log)) { clearTimeout(timer); resolve(undefined); } });
            vite.once('exit', (code) => { clearTimeout(timer); reject(new Error(`vite exited (${code}):\n${log}`)); });
          });
          for (const query of ['?threads=2', '?threads=2&worker=1']) {
            const shown = await classifyIn(`http://127.0.0.1:${port}/${query}`);
            t.diagnostic(`${query}: ${JSON.stringify(shown)}`);
            assertResult(shown, true);
          }
        } finally {
          vite.kill();
        }
        assert.ok(!existsSync(join(dir(), 'public', 'models', 'bert-mini-sst2', 'model.safetensors.index.json')));
      });
    }
  });
}
