#!/usr/bin/env node
// The demo's server (`npm run demo`): 127.0.0.1 only, built on web/dev-server.mjs.
//
//   npm run demo                          # http://127.0.0.1:8080/ with COOP/COEP (threads)
//   npm run demo -- --no-isolation        # without the headers: the single-threaded fallback
//   npm run demo -- --models DIR --port 0 # another models directory, any free port
//   npm run demo -- --no-q8               # without the int8 conversions
//
// Serves /demo/ (the page), /js/ and /dist/ (the package), /models/ (every sub-directory of the
// models directory holding a config.json; default: $BERTOLOGY_SHARED/models or ../shared/models),
// /models-q8/ (their q8 conversions, `bertology convert --dtype q8`, made on first start into
// build/demo-models/ and redone when a source changes; never committed) and /demo/models.json (the
// list of both). Hugging Face ids typed into the page are fetched by the page itself from
// huggingface.co; nothing else leaves 127.0.0.1.
//
//   import { startDemoServer } from './demo/server.mjs';
//   const s = await startDemoServer({ models: dir, isolation: true, port: 0 });  // s.url, s.close()

import { existsSync, promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../web/dev-server.mjs';
import { convertModel } from '../js/convert.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The default models directory: the shared assets. */
export function defaultModelsDir() {
  const shared = process.env.BERTOLOGY_SHARED ?? resolve(ROOT, '..', 'shared');
  return join(shared, 'models');
}

/**
 * The task a model's head suggests in the page, from its architecture's Hugging Face class name
 * (`<Family>For<Head>`, any family): every head maps to the pipeline task that runs it.
 * ELECTRA's discriminator (`ElectraForPreTraining`) is shown per token (replaced / original) in the
 * token-classification tab; BERT's `BertForPreTraining` holds an MLM head (fill-mask).
 * @param {string} architecture e.g. "XLMRobertaForSequenceClassification"
 * @param {string} [modelType] config.json's model_type
 * @returns {string}
 */
export function headTask(architecture, modelType) {
  const head = /For([A-Za-z]+)$/.exec(architecture)?.[1];
  if (/LMHeadModel$/.test(architecture)) return 'fill-mask';  // XLNetLMHeadModel
  switch (head) {
    case 'SequenceClassification': return 'sentiment-analysis';
    case 'MaskedLM': return 'fill-mask';
    case 'TokenClassification': return 'ner';
    case 'QuestionAnswering': case 'QuestionAnsweringSimple': return 'question-answering';
    case 'PreTraining': return modelType === 'electra' ? 'ner' : 'fill-mask';
    default: return 'feature-extraction';  // <Family>Model and heads no pipeline runs
  }
}

/** Where the demo keeps its q8 conversions (git-ignored). */
export const Q8_DIR = join(ROOT, 'build', 'demo-models');

/**
 * @typedef {{name: string, url: string, architecture: string, task: string, sentence_transformers: boolean, dtype: string,
 *   bytes: number}} DemoModel
 */

/**
 * Lists the models of `dir`: sub-directories with a config.json (not recursive).
 * @param {string} dir
 * @param {string} [urlPrefix] where the server mounts `dir`
 * @returns {Promise<DemoModel[]>}
 */
export async function listModels(dir, urlPrefix = '/models/') {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  const out = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    // A symlinked model folder counts too.
    if (!e.isDirectory() && !(e.isSymbolicLink() && (await fsp.stat(join(dir, e.name)).catch(() => null))?.isDirectory())) continue;
    const config = join(dir, e.name, 'config.json');
    if (!existsSync(config)) continue;
    try {
      const c = JSON.parse(await fsp.readFile(config, 'utf8'));
      const architecture = c.architectures?.[0] ?? c.model_type ?? 'unknown';
      const labels = Object.values(c.id2label ?? {}).map((l) => String(l).toLowerCase());
      const sentenceTransformers = existsSync(join(dir, e.name, 'modules.json'));
      // An NLI classifier (a label starting with "entail", as Hugging Face finds it) serves zero-shot;
      // a sentence-transformers folder, search.
      const task = architecture.endsWith('ForSequenceClassification') && labels.some((l) => l.startsWith('entail'))
        ? 'zero-shot-classification' : sentenceTransformers ? 'sentence-similarity'
          : headTask(architecture, c.model_type);
      const weights = (await fsp.readdir(join(dir, e.name))).filter((f) => f.endsWith('.safetensors'));
      let bytes = 0;
      for (const f of weights) bytes += (await fsp.stat(join(dir, e.name, f))).size;
      out.push({
        name: e.name, url: `${urlPrefix}${encodeURIComponent(e.name)}/`, architecture, task, sentence_transformers: sentenceTransformers,
        dtype: c.quantization_config?.format ?? c.torch_dtype ?? c.dtype ?? 'float32', bytes,
      });
    } catch {
      // an unreadable config: not offered
    }
  }
  return out;
}

/**
 * The q8 conversion of every model of `modelsDir` that is not already int8, into `<q8Dir>/<name>-q8`:
 * made on first use and again when one of the source's files changed (a stamp of their names, sizes
 * and times). A model the converter refuses is left out, with a warning.
 * @param {string} modelsDir
 * @param {string} q8Dir
 * @param {{log?: boolean}} [options]
 */
export async function prepareQ8Models(modelsDir, q8Dir, { log = false } = {}) {
  for (const m of await listModels(modelsDir)) {
    if (m.dtype === 'q8') continue;
    const src = join(modelsDir, m.name);
    const out = join(q8Dir, `${m.name}-q8`);
    const files = (await fsp.readdir(src)).filter((f) => f !== 'reference.safetensors').sort();
    const stamp = JSON.stringify(await Promise.all(files.map(async (f) => {
      const st = await fsp.stat(join(src, f));
      return [f, st.size, st.mtimeMs];
    })));
    const stampFile = join(out, '.source.json');
    if (existsSync(stampFile) && await fsp.readFile(stampFile, 'utf8') === stamp) continue;
    try {
      const r = await convertModel(src, { dtype: 'q8', outDir: out, overwrite: true, threads: 1 });
      await fsp.writeFile(stampFile, stamp);
      if (log) console.log(`demo: ${m.name} → q8 (${(r.output_bytes / 1e6).toFixed(1)} MB, ${r.ratio.toFixed(2)}× fp32) in ${out}`);
    } catch (e) {
      console.warn(`demo: no q8 conversion of ${m.name}: ${/** @type {Error} */ (e).message}`);
    }
  }
}

/**
 * @param {{models?: string, isolation?: boolean, port?: number, log?: boolean, q8?: boolean, q8Dir?: string}} [options]
 *   q8 (default true): also offer the models' q8 conversions (made into q8Dir, default build/demo-models)
 */
export async function startDemoServer({ models = defaultModelsDir(), isolation = true, port = 0, log = false, q8 = true,
  q8Dir = Q8_DIR } = {}) {
  const modelsDir = resolve(models);
  if (q8) await prepareQ8Models(modelsDir, q8Dir, { log });
  const server = await startDevServer({
    coi: isolation, port, log,
    roots: {
      '/demo/': join(ROOT, 'demo'),
      '/js/': join(ROOT, 'js'),
      '/dist/': join(ROOT, 'dist'),
      '/models/': modelsDir,
      ...(q8 ? { '/models-q8/': resolve(q8Dir) } : {}),
    },
    async handler(req, res, url) {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        res.writeHead(302, { Location: `/demo/${url.search}` }).end();
        return true;
      }
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return true;
      }
      if (url.pathname === '/demo/models.json') {
        const list = [...await listModels(modelsDir), ...(q8 ? await listModels(q8Dir, '/models-q8/') : [])];
        const body = JSON.stringify({ isolation, models: list });
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(body);
        return true;
      }
      return false;
    },
  });
  return { ...server, modelsDir, isolation };
}

// CLI
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let models = defaultModelsDir();
  let isolation = true;
  let port = 8080;
  let q8 = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--models') models = args[++i];
    else if (a.startsWith('--models=')) models = a.slice(9);
    else if (a === '--no-isolation' || a === '--no-coi') isolation = false;
    else if (a === '--port') port = Number(args[++i]);
    else if (a.startsWith('--port=')) port = Number(a.slice(7));
    else if (a === '--quiet') continue;
    else if (a === '--no-q8') q8 = false;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run demo -- [--models DIR] [--no-isolation] [--port N] [--no-q8]');
      process.exit(0);
    } else {
      console.error(`demo: unknown argument ${a} (try --help)`);
      process.exit(2);
    }
  }
  if (!existsSync(join(ROOT, 'dist', 'bertology.mjs'))) console.warn('demo: dist/ is missing; run `npm run build` first');
  if (!existsSync(models)) console.warn(`demo: models directory ${models} not found; only Hugging Face ids will work`);
  const s = await startDemoServer({ models, isolation, port, log: !args.includes('--quiet'), q8 });
  const found = [...await listModels(s.modelsDir), ...(q8 ? await listModels(Q8_DIR) : [])];
  console.log(`Bertology demo: ${s.url}demo/  (cross-origin isolation ${isolation ? 'on: threads' : 'off: single-threaded fallback'})`);
  console.log(`models from ${s.modelsDir}: ${found.map((m) => m.name).join(', ') || 'none'}`);
}
