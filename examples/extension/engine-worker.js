// The engine: a module Web Worker inside the offscreen document. Loads the model once (from the
// extension's own files, or from the configured URL through the Cache API) on the single-threaded
// wasm build, and keeps it until the offscreen document terminates this worker.
//
//   → {id, op: 'classify', text}  ← {id, value: Result}
//   → {id, op: 'status'}          ← {id, value: Status}
//   failures                      ← {id, error: string}

import { BertologyModel, env } from './lib/bertology/js/index.js';
import { MODEL } from './config.js';

env.allowRemoteModels = false; // never resolve Hugging Face ids (the CSP's connect-src would block them anyway)

/**
 * @typedef {object} Result
 * @property {string} text
 * @property {string} label top label
 * @property {number} score its probability
 * @property {{label: string, score: number}[]} scores all labels, best first
 * @property {{word: string, weight: number}[] | null} words top attributed words (null: the explanation failed)
 * @property {number} inferenceMs classify time in this call
 * @property {number} explainMs time of the explanation (0 without)
 * @property {number | null} loadMs model load time when this call loaded it, else null
 * @property {number} heapBytes wasm memory size
 */

let loading = /** @type {Promise<BertologyModel> | null} */ (null);
let stats = { loadMs: 0, requests: 0, lastMs: 0 };

async function bundledFiles() {
  /** @type {Record<string, ArrayBuffer>} */
  const files = {};
  await Promise.all(MODEL.files.map(async (/** @type {string} */ name) => {
    const res = await fetch(new URL(`${MODEL.path}${name}`, self.location.href));
    if (!res.ok) throw new Error(`cannot read the bundled model file ${name}: HTTP ${res.status}`);
    files[name] = await res.arrayBuffer();
  }));
  return files;
}

async function loadModel() {
  const t0 = performance.now();
  const model = MODEL.kind === 'bundled'
    ? await BertologyModel.load(await bundledFiles(), { threads: 1, name: 'bert-mini-sst2' })
    // downloaded once, then served from the Cache API (also after the browser restarts)
    : await BertologyModel.load(MODEL.url, { threads: 1, cache: MODEL.cacheName });
  stats.loadMs = performance.now() - t0;
  return model;
}

/**
 * Top attributed words of `text` for `label` (explain-adapter.js, loaded on the first explanation).
 * @param {BertologyModel} model @param {string} text @param {string} label @returns {Promise<Result['words']>}
 */
async function topWords(model, text, label) {
  const { explainTopWords } = await import('./explain-adapter.js');
  return explainTopWords(model, text, label, 5);
}

/** @param {string} text @returns {Promise<Result>} */
async function classify(text) {
  const first = !loading;
  loading ??= loadModel();
  const model = await loading.catch((e) => { loading = null; throw e; });
  const t0 = performance.now();
  const scores = /** @type {{label: string, score: number}[]} */ (model.classify(text));
  const inferenceMs = performance.now() - t0;
  const words = await topWords(model, text, scores[0].label).catch((e) => {
    console.warn('bertology: explanation failed', e);
    return null;
  });
  const explainMs = performance.now() - t0 - inferenceMs;
  stats.requests++;
  stats.lastMs = inferenceMs;
  return {
    text, label: scores[0].label, score: scores[0].score, scores, words,
    inferenceMs, explainMs, loadMs: first ? stats.loadMs : null, heapBytes: model.runtime.memory().heapBytes,
  };
}

async function status() {
  const model = loading ? await loading.catch(() => null) : null;
  return {
    engine: Boolean(model), source: MODEL.kind === 'bundled' ? 'bundled' : MODEL.url,
    variant: model?.runtime.variant ?? null, heapBytes: model ? model.runtime.memory().heapBytes : 0, ...stats,
  };
}

self.onmessage = async ({ data }) => {
  try {
    const value = data.op === 'classify' ? await classify(String(data.text))
      : data.op === 'status' ? await status()
        : (() => { throw new Error(`unknown op ${data.op}`); })();
    self.postMessage({ id: data.id, value });
  } catch (e) {
    self.postMessage({ id: data.id, error: String(/** @type {Error} */ (e)?.message ?? e) });
  }
};
