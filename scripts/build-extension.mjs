#!/usr/bin/env node
// Builds the Manifest V3 extension (examples/extension/) into build/extension/ from the package's
// files: js/ and the single-threaded wasm build (dist/bertology-st.*). No bundler.
//
//   node scripts/build-extension.mjs [--out DIR] [--model-dir DIR [--dtype q8|original] | --model-url URL]
//                                    [--idle-seconds N] [--allow-host PATTERN]... [--dist DIR]
//
//   --model-dir   model to ship inside the extension (default $BERTOLOGY_SHARED/models/bert-mini-sst2,
//                 BERTOLOGY_SHARED defaulting to ../shared); into OUT/model/
//   --dtype       q8 (default): ship its q8 conversion (`bertology convert --dtype q8`, int8 weights as
//                 the engine holds them: the same results as loading the original with dtype q8);
//                 original: copy the model's files as they are
//   --model-url   instead: download the model once from this base URL (CORS-enabled) and keep it
//                 in the Cache API; the URL's origin is the only one added to connect-src
//   --idle-seconds  the model is released after this long without a request (default 300)
//   --allow-host  adds a host permission (tests only: lets a test trigger the action on a page
//                 without the user gesture that grants activeTab)
//   --dist        where bertology-st.mjs/.wasm come from (default dist/)

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(REPO, 'examples', 'extension');
const SOURCE_FILES = ['manifest.json', 'background.js', 'offscreen.html', 'offscreen.js', 'engine-worker.js',
  'explain-adapter.js', 'content.js', 'popup.html', 'popup.css', 'popup.js'];
// js/runtime.js imports every glue module statically (bundlers need that); the extension runs a single-threaded
// build: the relaxed-SIMD one in Chromium (which has relaxed SIMD), the SIMD128 one where it is missing.
const GLUE = ['bertology-st.mjs', 'bertology-st.wasm', 'bertology.mjs', 'bertology-st-relaxed.mjs', 'bertology-st-relaxed.wasm',
  'bertology-relaxed.mjs'];

/**
 * The files of a Hugging Face model directory the engine reads.
 * @param {string} dir
 */
export function modelFileList(dir) {
  const files = ['config.json'];
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    const shards = new Set(Object.values(JSON.parse(readFileSync(index, 'utf8')).weight_map));
    files.push('model.safetensors.index.json', .../** @type {string[]} */ ([...shards]).sort());
  } else {
    files.push('model.safetensors');
  }
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) if (existsSync(join(dir, f))) files.push(f);
  for (const f of files) if (!existsSync(join(dir, f))) throw new Error(`model file missing: ${join(dir, f)}`);
  return files;
}

/**
 * Whether emscripten glue needs eval/new Function at startup (embind built without
 * -sDYNAMIC_EXECUTION=0), which the extension's CSP (no 'unsafe-eval') forbids.
 * @param {string} glue
 */
export function glueNeedsEval(glue) {
  return /new Function\(|\beval\(/.test(glue);
}

/**
 * @param {{out?: string, modelDir?: string, modelUrl?: string, dtype?: 'q8' | 'original', idleSeconds?: number,
 *   allowHosts?: string[], distDir?: string, quiet?: boolean}} [options]
 * @returns {{out: string, bytes: number, model: any}}
 */
export function buildExtension(options = {}) {
  const shared = resolve(process.env.BERTOLOGY_SHARED ?? join(REPO, '..', 'shared'));
  const out = resolve(options.out ?? join(REPO, 'build', 'extension'));
  const distDir = resolve(options.distDir ?? join(REPO, 'dist'));
  const idleMs = Math.round((options.idleSeconds ?? 300) * 1000);
  const allowHosts = options.allowHosts ?? [];

  for (const f of GLUE) {
    if (!existsSync(join(distDir, f))) throw new Error(`${join(distDir, f)} is missing: run npm run build`);
  }
  if (glueNeedsEval(readFileSync(join(distDir, GLUE[0]), 'utf8'))) {
    throw new Error(`${join(distDir, GLUE[0])} calls new Function/eval at startup (embind without -sDYNAMIC_EXECUTION=0); ` +
      'the extension CSP (script-src \'self\' \'wasm-unsafe-eval\') forbids it. Rebuild dist/ with -sDYNAMIC_EXECUTION=0.');
  }
  // Never wipe a directory that is not an earlier build of ours.
  if (existsSync(out)) {
    const entries = readdirSync(out);
    if (entries.length && !entries.includes('manifest.json')) throw new Error(`${out} exists and is not an extension build`);
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });

  for (const f of SOURCE_FILES) cpSync(join(SRC, f), join(out, f));
  // the package: all of js/ (browser-safe ES modules; Node-only paths are dynamic imports never taken
  // here) except the evaluation helpers the worker does not import (js/train uses seqeval.js and
  // conll03.js), and the single-threaded build
  const unused = ['squad.js', 'sst2.js'].map((f) => join(REPO, 'js', 'eval', f));
  cpSync(join(REPO, 'js'), join(out, 'lib', 'bertology', 'js'), {
    recursive: true, filter: (p) => !unused.includes(p) && (statSync(p).isDirectory() || p.endsWith('.js')),
  });
  for (const f of GLUE) cpSync(join(distDir, f), join(out, 'lib', 'bertology', 'dist', f));
  cpSync(join(REPO, 'package.json'), join(out, 'lib', 'bertology', 'package.json'));

  /** @type {any} */
  let model;
  const manifest = JSON.parse(readFileSync(join(SRC, 'manifest.json'), 'utf8'));
  let connect = "'self'";
  if (options.modelUrl) {
    const url = new URL(options.modelUrl);
    if (url.protocol !== 'https:' && url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
      throw new Error(`--model-url must be https (or a loopback http URL for tests): ${url.href}`);
    }
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    model = { kind: 'url', url: url.href, cacheName: 'bertology-extension-model' };
    connect += ` ${url.origin}`;
  } else {
    const dir = resolve(options.modelDir ?? join(shared, 'models', 'bert-mini-sst2'));
    const dtype = options.dtype ?? 'q8';
    if (dtype !== 'q8' && dtype !== 'original') throw new Error(`--dtype must be q8 or original, got ${dtype}`);
    if (dtype === 'q8') {
      // The engine's own converter (the package CLI, single-threaded build): int8 weights and scales.
      execFileSync(process.execPath, [join(REPO, 'bin', 'bertology.mjs'), 'convert', '--dtype', 'q8', '--threads', '1',
        dir, join(out, 'model')], { stdio: ['ignore', 'ignore', 'inherit'] });
    } else {
      mkdirSync(join(out, 'model'));
      for (const f of modelFileList(dir)) cpSync(join(dir, f), join(out, 'model', f));
    }
    model = { kind: 'bundled', path: 'model/', files: modelFileList(join(out, 'model')), dtype };
  }
  manifest.content_security_policy.extension_pages =
    `script-src 'self' 'wasm-unsafe-eval'; object-src 'self'; connect-src ${connect}`;
  if (allowHosts.length) manifest.host_permissions = allowHosts;
  manifest.version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version.replace(/[^0-9.]/g, '');
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  writeFileSync(join(out, 'config.js'), `// Written by scripts/build-extension.mjs.
export const MODEL = ${JSON.stringify(model)};
export const IDLE_MS = ${idleMs};
`);
  const bytes = du(out);
  if (!options.quiet) {
    console.log(`extension built in ${out} (${(bytes / 2 ** 20).toFixed(1)} MB; model ${model.kind === 'bundled' ? `bundled (${model.dtype})` : `from ${model.url}`})`);
  }
  return { out, bytes, model };
}

/** @param {string} p @returns {number} */
function du(p) {
  const s = statSync(p);
  return s.isDirectory() ? readdirSync(p).reduce((n, f) => n + du(join(p, f)), 0) : s.size;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' }, 'model-dir': { type: 'string' }, 'model-url': { type: 'string' },
      'idle-seconds': { type: 'string' }, 'allow-host': { type: 'string', multiple: true }, dist: { type: 'string' },
      dtype: { type: 'string' },
    },
  });
  try {
    buildExtension({
      out: values.out, modelDir: values['model-dir'], modelUrl: values['model-url'],
      dtype: /** @type {'q8' | 'original' | undefined} */ (values.dtype),
      idleSeconds: values['idle-seconds'] ? Number(values['idle-seconds']) : undefined, allowHosts: values['allow-host'],
      distDir: values.dist,
    });
  } catch (e) {
    console.error(`build-extension: ${/** @type {Error} */ (e).message}`);
    process.exit(1);
  }
}
