// Every code block of README.md (and of examples/**/README.md and the user guides in docs/ that README links:
// USER_DOCS) that is JavaScript or HTML is a complete program, and this runs it as written:
//   - ```js blocks in Node, as an ES module in a directory where `bertology` is the package (a link to
//     this checkout) and ./models is the shared models folder — the path the README documents; the
//     program must exit 0 without printing an error;
//   - ```html blocks as pages in headless Chromium, cross-origin isolated, served with the package at
//     /node_modules/bertology/ (what their import maps name) and the shared models at /models/; each
//     inline module script runs as written (loaded by a one-line harness that awaits it), must settle
//     without an exception, unhandled rejection or page error, and the page must show a result.
// It also type-checks every one of those blocks (html: their module scripts) with TypeScript (npm
// devDependency), strict, checkJs, twice: moduleResolution nodenext and bundler — against the package's
// own declarations (types/, through package.json `exports`), together with a file that imports every
// export path (`.`, `./worker`, `./worker-client`, `./dev-server`, `./dist/*`).
// Other blocks (sh, text, http, diff) are not programs. Skips the runs (not the type checks) when the
// build, Chromium or the shared models are missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { BROWSER_SKIP, launchChromium } from '../browser/chromium.mjs';
import { startDevServer } from '../../web/dev-server.mjs';
import { REPO, SKIP_REASON, sharedPath } from '../js/helpers/shared.js';

const run = promisify(execFile);
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * The fenced code blocks of a Markdown file.
 * @param {string} file
 * @returns {{file: string, line: number, lang: string, code: string}[]}
 */
function codeBlocks(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  /** @type {{file: string, line: number, lang: string, code: string}[]} */
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    blocks.push({ file: relative(REPO, file), line: start + 1, lang: open[1], code: body.join('\n') });
  }
  return blocks;
}

// docs/ pages written for users (the rest of docs/ is for maintainers and holds non-program blocks).
const USER_DOCS = ['tasks.md', 'loading.md', 'fine-tuning.md', 'models.md'].map((f) => join(REPO, 'docs', f));
const MARKDOWN = [join(REPO, 'README.md'), ...USER_DOCS, ...readdirSync(join(REPO, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory()).map((d) => join(REPO, 'examples', d.name, 'README.md')), join(REPO, 'examples', 'README.md')]
  .filter((f) => existsSync(f));
const BLOCKS = MARKDOWN.flatMap(codeBlocks);
const PROGRAMS = BLOCKS.filter((b) => b.lang === 'js' || b.lang === 'html');
const NOT_PROGRAMS = ['sh', 'text', 'http', 'diff', 'json'];

/** A block's name in files and messages. @param {{file: string, line: number}} b */
const nameOf = (b) => `${b.file.replace(/[/.]/g, '_')}-${b.line}`;

/**
 * The inline module scripts of an html block.
 * @param {string} html
 */
function moduleScripts(html) {
  return [...html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
}

/**
 * GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
 * @param {string} heading
 */
const slug = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

test('README and user guides: relative links reach a file, and #anchors a heading in it', () => {
  for (const f of USER_DOCS) assert.ok(existsSync(f), `${relative(REPO, f)} is missing`);
  /** @type {string[]} */
  const broken = [];
  for (const file of [join(REPO, 'README.md'), ...USER_DOCS]) {
    const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```\s*$/gm, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split('#');
      const to = path ? join(file, '..', path) : file;
      if (!existsSync(to)) { broken.push(`${relative(REPO, file)}: ${target} (no such file)`); continue; }
      if (!anchor || !to.endsWith('.md')) continue;
      const headings = [...readFileSync(to, 'utf8').replace(/^```[\s\S]*?^```\s*$/gm, '').matchAll(/^#+ (.*)$/gm)]
        .map((m) => slug(m[1]));
      if (!headings.includes(anchor)) broken.push(`${relative(REPO, file)}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});

/** @type {string} */
let work;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'bertology-readme-'));
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'readme-programs', private: true, type: 'module' }));
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(REPO, join(work, 'node_modules', 'bertology'), 'dir');
  if (!SKIP_REASON) symlinkSync(sharedPath('models'), join(work, 'models'), 'dir');
  mkdirSync(join(work, 'public'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('README code blocks: each is a program (js, html) or tagged as not one', () => {
  const untagged = BLOCKS.filter((b) => !PROGRAMS.includes(b) && !NOT_PROGRAMS.includes(b.lang));
  assert.deepEqual(untagged.map((b) => `${b.file}:${b.line} \`\`\`${b.lang}`), [],
    `tag code blocks js or html (programs) or one of ${NOT_PROGRAMS.join(', ')}`);
  assert.ok(PROGRAMS.length >= 15, `${PROGRAMS.length} programs`);
});

describe('README programs type-check (TypeScript, strict, checkJs)', { skip: !existsSync(TSC) && 'typescript is not installed' }, () => {
  /** @type {string} */
  let dir;
  before(() => {
    dir = join(work, 'types');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
    symlinkSync(join(work, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const b of PROGRAMS) {
      const scripts = b.lang === 'js' ? [b.code] : moduleScripts(b.code);
      assert.ok(scripts.length > 0, `${b.file}:${b.line}: an html block without an inline module script`);
      scripts.forEach((code, k) => writeFileSync(join(dir, `${nameOf(b)}-${k}.mjs`), code));
    }
    // every export path has types
    writeFileSync(join(dir, 'export-paths.mts'), `
import { BertologyModel, env, pipeline, type Runtime, type RuntimeSummary } from 'bertology';
import { createWorkerClient, type WorkerClient } from 'bertology/worker-client';
import 'bertology/worker';
import { startDevServer, type DevServer } from 'bertology/dev-server';
import createModule from 'bertology/dist/bertology.mjs';
import pkg from 'bertology/package.json' with { type: 'json' };
const summary: RuntimeSummary = (null as unknown as Runtime).toJSON();
const client: WorkerClient = createWorkerClient(null);
const server: Promise<DevServer> = startDevServer({ coi: false });
const loads: Promise<BertologyModel>[] = [BertologyModel.load('x', { dtype: 'q8', threads: 2 })];
// @ts-expect-error: dtype is 'fp32' or 'q8'
BertologyModel.load('x', { dtype: 'fp16' });
// @ts-expect-error: unknown load options are rejected
BertologyModel.load('x', { device: 'wasm' });
// @ts-expect-error: unknown pipeline options are rejected
pipeline('sentiment-analysis', 'x', { topk: 1 });
pipeline('sentiment-analysis', 'x', { top_k: 2, threads: 1 });
env.wasmPaths = '/bertology/';
export { summary, client, server, loads, createModule, pkg };
`);
  });

  for (const resolution of ['nodenext', 'bundler']) {
    test(`moduleResolution ${resolution}`, async () => {
      const config = join(dir, `tsconfig.${resolution}.json`);
      writeFileSync(config, JSON.stringify({
        compilerOptions: {
          strict: true, allowJs: true, checkJs: true, noEmit: true, target: 'es2022',
          module: resolution === 'nodenext' ? 'nodenext' : 'esnext', moduleResolution: resolution,
          resolveJsonModule: true, lib: ['es2023', 'dom', 'dom.iterable'], types: ['node'],
          typeRoots: [join(REPO, 'node_modules', '@types')], skipLibCheck: false,
        },
        include: ['*.mjs', '*.mts'],
      }));
      const result = await run(process.execPath, [TSC, '-p', config, '--pretty', 'false'], { cwd: dir })
        .then(() => '', (e) => `${e.stdout}${e.stderr}`);
      // name README lines, not temporary files
      const readable = result.replace(/(\S+?)-(\d+)-\d+\.mjs\((\d+),(\d+)\)/g,
        (_m, file, line, l, c) => `${file.replace(/_md$/, '.md').replace(/_/g, '/')}:${Number(line) + Number(l)}:${c}`);
      assert.equal(readable, '', readable);
    });
  }
});

describe('README js blocks run in Node', { skip: SKIP_REASON || (!existsSync(join(REPO, 'dist', 'bertology.wasm')) && 'dist/ is not built') }, () => {
  for (const b of PROGRAMS.filter((p) => p.lang === 'js')) {
    test(`${b.file}:${b.line}`, { timeout: 180_000 }, async (t) => {
      const file = join(work, `${nameOf(b)}.mjs`);
      writeFileSync(file, b.code);
      const { stdout, stderr } = await run(process.execPath, [file], { cwd: work, timeout: 170_000 })
        .catch((e) => { throw new Error(`${b.file}:${b.line} failed (exit ${e.code}):\n${e.stderr || e.stdout}`); });
      assert.doesNotMatch(stderr, /Error/, stderr);
      if (stdout) t.diagnostic(stdout.trim().slice(0, 300));
    });
  }
});

describe('README html blocks run in Chromium', { skip: BROWSER_SKIP }, () => {
  /** @type {Awaited<ReturnType<typeof startDevServer>>} */
  let server;
  /** @type {Awaited<ReturnType<typeof launchChromium>>} */
  let browser;
  before(async () => {
    const pages = join(work, 'pages');
    mkdirSync(pages);
    for (const b of PROGRAMS.filter((p) => p.lang === 'html')) {
      const dir = join(pages, nameOf(b));
      mkdirSync(dir);
      let k = 0;
      const html = b.code.replace(/<script type="module">([\s\S]*?)<\/script>/g, (_m, code) => {
        writeFileSync(join(dir, `module-${k}.mjs`), code);
        // runs the script as written and keeps how it settled
        return `<script type="module">window.__settled = import('./module-${k++}.mjs')` +
          ".then(() => 'ok', (e) => 'error: ' + (e && e.stack || e));</script>";
      });
      writeFileSync(join(dir, 'index.html'), html);
    }
    server = await startDevServer({
      roots: { '/': pages, '/node_modules/bertology/': REPO, '/models/': sharedPath('models') }, coi: true,
      handler: (_req, res, url) => url.pathname === '/favicon.ico' && Boolean(res.writeHead(204).end()),
    });
    browser = await launchChromium('bertology-chromium-readme-');
  });
  after(async () => {
    await browser?.context.close();
    if (browser) rmSync(browser.userDataDir, { recursive: true, force: true });
    await server?.close();
  });

  for (const b of PROGRAMS.filter((p) => p.lang === 'html')) {
    test(`${b.file}:${b.line}`, { timeout: 180_000 }, async (t) => {
      const page = await browser.context.newPage();
      /** @type {string[]} */
      const errors = [];
      page.on('pageerror', (/** @type {any} */ e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (/** @type {any} */ m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
      // the shared checkpoints are sharded: the loader's request for the usual single model.safetensors
      // (made at once, beside the index's) is answered 404, which Chromium logs; nothing else may fail
      let singleFile404s = 0;
      page.on('response', (/** @type {any} */ r) => {
        if (r.status() === 404 && /\/models\/[^/]+\/model\.safetensors$/.test(new URL(r.url()).pathname)) singleFile404s++;
      });
      const withoutSingleFile404s = () => errors.filter((e) =>
        !(/^console: Failed to load resource: .*404/.test(e) && singleFile404s-- > 0));
      try {
        await page.goto(`${server.url}${nameOf(b)}/`);
        await page.waitForFunction(() => /** @type {any} */ (window).__settled !== undefined, null, { timeout: 30_000 });
        const settled = await page.evaluate(() => /** @type {any} */ (window).__settled);
        const shown = (await page.textContent('body'))?.trim() ?? '';
        t.diagnostic(shown.slice(0, 300));
        assert.equal(settled, 'ok');
        assert.deepEqual(withoutSingleFile404s(), []);
        assert.ok(shown.length > 0, 'the page shows a result');
      } finally {
        await page.close();
      }
    });
  }
});
