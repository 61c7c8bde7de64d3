#!/usr/bin/env node
// Post-link step of each wasm build (run by CMakeLists.txt after emcc links dist/<name>.mjs; see
// docs/build.md, "Bundlers"). Emscripten 3.1.6's glue is made bundler-neutral and verified:
//
//   1. the glue's own `new URL("<name>.wasm", import.meta.url)` becomes `locateFile("<name>.wasm")`:
//      browsers always get the wasm from js/runtime/builds.js (its build table is the one place bundlers see
//      the file), Node reads it next to the glue as before;
//   2. threaded builds: the pool worker is created by `Module.createPthreadWorker()` when given
//      (js/runtime/builds.js passes a `new Worker(new URL('../../dist/<name>.worker.mjs', import.meta.url),
//      {type: 'module'})` that every bundler understands); Node keeps emscripten's own worker_threads
//      worker (dist/<name>.worker.js, CommonJS), which no bundler ever sees;
//   3. threaded builds: dist/<name>.worker.mjs, the browser's pthread worker, is derived from
//      emscripten's dist/<name>.worker.js: an ES module that imports the glue statically (no dynamic
//      import(): Vite's default `iife` worker format cannot split code) and has no Node branch;
//   4. checks with a JavaScript parser (acorn, which emscripten itself needs) that what browsers load
//      has no dynamic import(), no top-level await, no import of a Node built-in, no require() of an
//      undeclared `require`, no `new URL(…, import.meta.url)` / `new Worker(…)` left for a bundler to
//      follow — and fails the build otherwise (e.g. after an emscripten upgrade changed the glue);
//   5. writes dist/<name>.d.mts (the glue's type, for tsc --checkJs over js/).
//
//   node web/postlink.mjs dist/bertology.mjs [--threads]

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const MARK = '/* bertology: post-linked by web/postlink.mjs */';

/** acorn from npm if present, else Debian's (/usr/share/nodejs, emscripten's dependency). */
function loadAcorn() {
  const require = createRequire(import.meta.url);
  for (const base of [undefined, ...(process.env.NODE_PATH ?? '').split(':').filter(Boolean), '/usr/share/nodejs']) {
    try {
      const acorn = require(base ? join(base, 'acorn') : 'acorn');
      const walk = require(base ? join(base, 'acorn-walk') : 'acorn-walk');
      return { acorn, walk };
    } catch { /* next */ }
  }
  throw new Error('postlink: acorn and acorn-walk not found (apt-get install node-acorn, or NODE_PATH=/usr/share/nodejs)');
}

/**
 * Replaces `from` by `to` exactly once.
 * @param {string} text
 * @param {string} from
 * @param {string} to
 * @param {string} what for the error
 */
function replaceOnce(text, from, to, what) {
  const first = text.indexOf(from);
  if (first < 0 || text.indexOf(from, first + 1) >= 0) {
    throw new Error(`postlink: ${what}: expected exactly one ${JSON.stringify(from)} in the emscripten output ` +
      `(found ${first < 0 ? 'none' : 'several'}); the glue changed — update web/postlink.mjs`);
  }
  return text.slice(0, first) + to + text.slice(first + from.length);
}

/**
 * The end (exclusive) of the block whose `{` is at `open`, skipping string literals.
 * @param {string} s
 * @param {number} open
 */
function blockEnd(s, open) {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < s.length && s[i] !== c; i++) if (s[i] === '\\') i++;
    } else if (c === '{') {
      depth++;
    } else if (c === '}' && --depth === 0) {
      return i + 1;
    }
  }
  throw new Error('postlink: unbalanced braces');
}

/**
 * What a bundler sees in one ES module: its static imports, and everything that breaks browser
 * bundles (dynamic import(): Vite's default iife worker format cannot split code; top-level await:
 * not in iife bundles nor Vite 6's default target; Node built-ins; require() of an undeclared
 * `require`), plus the files it references for bundlers to emit: `new URL('…', import.meta.url)`
 * (assets) and `new Worker(new URL('…', import.meta.url), …)` (workers).
 * @param {string} code
 * @returns {{imports: string[], problems: string[], assets: string[], workers: {url: string, module: boolean}[]}}
 */
export function analyzeModule(code) {
  const { acorn, walk } = loadAcorn();
  const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
  /** @type {string[]} */
  const problems = [];
  /** @type {string[]} */
  const imports = [];
  /** @type {string[]} */
  const assets = [];
  /** @type {{url: string, module: boolean}[]} */
  const workers = [];
  const declared = new Set();
  walk.full(ast, (/** @type {any} */ node) => {
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier') declared.add(node.id.name);
    if ((node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') && node.id) declared.add(node.id.name);
  });
  const topLevelAwait = (/** @type {any} */ node, /** @type {any[]} */ ancestors) => {
    if (!ancestors.some((a) => /Function/.test(a.type))) problems.push(`top-level await at offset ${node.start}`);
  };
  /** The literal of `new URL('<literal>', import.meta.url)`, else null. @param {any} node */
  const assetUrl = (node) => {
    if (node?.type !== 'NewExpression' || node.callee.type !== 'Identifier' || node.callee.name !== 'URL') return null;
    const [first, base] = node.arguments;
    const metaUrl = base && base.type === 'MemberExpression' && base.object.type === 'MetaProperty' && base.property.name === 'url';
    return metaUrl ? (first.type === 'Literal' ? String(first.value) : '<expression>') : null;
  };
  /** @type {Set<any>} */
  const workerUrls = new Set();
  walk.ancestor(ast, {
    AwaitExpression: topLevelAwait,
    ForOfStatement: (/** @type {any} */ node, /** @type {any} */ _s, /** @type {any[]} */ ancestors) => {
      if (node.await) topLevelAwait(node, ancestors);
    },
    ImportExpression(/** @type {any} */ node) { problems.push(`dynamic import() at offset ${node.start}`); },
    ImportDeclaration(/** @type {any} */ node) { imports.push(String(node.source.value)); },
    ExportNamedDeclaration(/** @type {any} */ node) { if (node.source) imports.push(String(node.source.value)); },
    ExportAllDeclaration(/** @type {any} */ node) { imports.push(String(node.source.value)); },
    CallExpression(/** @type {any} */ node) {
      if (node.callee.type === 'Identifier' && node.callee.name === 'require' && !declared.has('require')) {
        problems.push(`require() of an undeclared require at offset ${node.start}`);
      }
    },
    NewExpression(/** @type {any} */ node) {
      const callee = node.callee.type === 'Identifier' ? node.callee.name : '';
      if (callee !== 'Worker' && callee !== 'SharedWorker') return;
      const script = node.arguments[0];
      const url = assetUrl(script);
      if (url !== null) {
        workerUrls.add(script);
        const options = node.arguments[1];
        const module = options?.type === 'ObjectExpression' && options.properties.some((/** @type {any} */ p) =>
          (p.key?.name ?? p.key?.value) === 'type' && p.value.type === 'Literal' && p.value.value === 'module');
        workers.push({ url, module });
      } else if (script && script.type === 'Literal') {
        problems.push(`new ${callee}(<string literal>) at offset ${node.start}`);
      }
    },
    Literal(/** @type {any} */ node) {
      if (typeof node.value === 'string' && /^node:/.test(node.value)) problems.push(`Node built-in ${node.value}`);
    },
  });
  walk.simple(ast, {
    NewExpression(/** @type {any} */ node) {
      const url = assetUrl(node);
      if (url !== null && !workerUrls.has(node)) assets.push(url);
    },
  });
  for (const spec of imports) if (/^node:/.test(spec)) problems.push(`import of ${spec}`);
  return { imports, problems, assets, workers };
}

/**
 * Fails unless `code` is a bundler-neutral module that imports only `imports` and references no file
 * for a bundler to emit.
 * @param {string} code
 * @param {string} file for messages
 * @param {{imports: string[]}} expected
 */
export function verifyBrowserModule(code, file, { imports }) {
  const found = analyzeModule(code);
  const problems = [...found.problems];
  for (const spec of found.imports) if (!imports.includes(spec)) problems.push(`import of ${JSON.stringify(spec)}`);
  for (const url of found.assets) problems.push(`new URL(${JSON.stringify(url)}, import.meta.url)`);
  for (const w of found.workers) problems.push(`new Worker(new URL(${JSON.stringify(w.url)}, import.meta.url))`);
  if (problems.length) {
    throw new Error(`postlink: ${file} is not bundler-neutral:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * @param {string} gluePath dist/<name>.mjs
 * @param {{threads: boolean}} options
 */
export function postlink(gluePath, { threads }) {
  const dir = dirname(gluePath);
  const name = basename(gluePath, '.mjs');
  let glue = readFileSync(gluePath, 'utf8');
  if (!glue.includes(MARK)) {
    glue = replaceOnce(glue, `new URL("${name}.wasm",import.meta.url).toString()`, `locateFile("${name}.wasm")`,
      'the glue\'s wasm URL');
    if (threads) {
      glue = replaceOnce(glue,
        `allocateUnusedWorker:function(){if(!Module["locateFile"]){PThread.unusedWorkers.push(new Worker(new URL("${name}.worker.js",import.meta.url)));return}`,
        'allocateUnusedWorker:function(){if(Module["createPthreadWorker"]){PThread.unusedWorkers.push(Module["createPthreadWorker"]());return}',
        'the pool worker creation');
    }
    glue = `${MARK}\n${glue}`;
  }
  verifyBrowserModule(glue, `${name}.mjs`, { imports: [] });
  writeFileSync(gluePath, glue);

  if (threads) {
    const workerJs = join(dir, `${name}.worker.js`);
    if (!existsSync(workerJs)) throw new Error(`postlink: ${workerJs} missing (link with -pthread)`);
    let worker = readFileSync(workerJs, 'utf8');
    const nodeStart = worker.indexOf('if(ENVIRONMENT_IS_NODE){var nodeWorkerThreads=require("worker_threads")');
    if (nodeStart < 0) throw new Error('postlink: the pthread worker\'s Node prologue changed — update web/postlink.mjs');
    worker = worker.slice(0, nodeStart) + worker.slice(blockEnd(worker, worker.indexOf('{', nodeStart)));
    worker = replaceOnce(worker, 'var ENVIRONMENT_IS_NODE=typeof process=="object"&&typeof process.versions=="object"&&typeof process.versions.node=="string";',
      'var ENVIRONMENT_IS_NODE=false;', 'the pthread worker\'s environment test');
    worker = replaceOnce(worker, `(e.data.urlOrBlob?import(e.data.urlOrBlob):import("./${name}.mjs"))`,
      `Promise.resolve({default:${'createModule'}})`, 'the pthread worker\'s import of the glue');
    worker = worker.replace(/^"use strict";/, '');
    const esm = `${MARK}\n// The pthread worker of ${name}.mjs for browsers (an ES module worker), derived from emscripten's\n` +
      `// ${name}.worker.js (which Node keeps using).\nimport createModule from './${name}.mjs';\n${worker}\n`;
    verifyBrowserModule(esm, `${name}.worker.mjs`, { imports: [`./${name}.mjs`] });
    if (/\brequire\s*\(/.test(esm)) throw new Error(`postlink: ${name}.worker.mjs still calls require()`);
    writeFileSync(join(dir, `${name}.worker.mjs`), esm);
  }
  writeFileSync(join(dir, `${name}.d.mts`), readFileSync(join(HERE, 'glue.d.mts'), 'utf8'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [glue, ...flags] = process.argv.slice(2);
  if (!glue) {
    console.error('usage: node web/postlink.mjs dist/<name>.mjs [--threads]');
    process.exit(2);
  }
  try {
    postlink(glue, { threads: flags.includes('--threads') });
  } catch (e) {
    console.error(/** @type {Error} */ (e).message);
    process.exit(1);
  }
}
