// sentence-transformers models: folders in the standard layout (modules.json, 1_Pooling/config.json,
// 2_Dense/{config.json, model.safetensors}, Normalize, config_sentence_transformers.json,
// sentence_bert_config.json) built around ../shared/models/bert-mini-mlm. Expected vectors are
// computed here from Hugging Face's hidden states of the same texts (reference/bert-mini-mlm) with
// sentence-transformers' formulas (Pooling.py, Dense.py, Normalize.py); quantized embeddings are
// compared with quantize_embeddings' rule executed by numpy (Debian's python3-numpy). Also: every
// source kind reads the module files, the similarity helpers, and the errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BertologyModel, cos_sim, dot_score, pipeline, quantizeEmbeddings, semanticSearch, Tensor } from '../../js/index.js';
import { startDevServer } from '../../web/dev-server.mjs';
import { readTensors, writeSafetensors } from './helpers/safetensors.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';
import { copyModel, tempModels } from './helpers/model-copies.js';

const ST = 'sentence_transformers.models.';
const PYTHON = '/usr/bin/python3';

/** @type {ReturnType<typeof tempModels>} */
let tmp;
/** @type {{texts: string[]}} */
let ref;
/** Hugging Face's last hidden state of the reference texts: rows of [seq, hidden] and masks. */
let H = /** @type {{rows: Float32Array[], masks: Int32Array[], hidden: number}} */ ({ rows: [], masks: [], hidden: 0 });

/** A seeded uniform generator (mulberry32). */
function rng(/** @type {number} */ seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fixed random Dense weights: W [out, in] and b [out], uniform in ±1/√in (torch's nn.Linear init range). */
function denseWeights(/** @type {number} */ inF, /** @type {number} */ outF, /** @type {number} */ seed) {
  const r = rng(seed);
  const bound = 1 / Math.sqrt(inF);
  const w = Float32Array.from({ length: outF * inF }, () => (2 * r() - 1) * bound);
  const b = Float32Array.from({ length: outF }, () => (2 * r() - 1) * bound);
  return { w, b };
}

/**
 * Writes a sentence-transformers folder around bert-mini-mlm.
 * @param {string} name
 * @param {{pooling?: Record<string, any>, width?: number, dense?: {out: number, activation?: string, seed: number, bias?: boolean}[],
 *   normalize?: boolean, stConfig?: Record<string, any>, transformer?: Record<string, any>, extraModules?: any[], denseBinOnly?: boolean}} spec
 */
function stFolder(name, spec) {
  const dir = copyModel(sharedPath('models', 'bert-mini-mlm'), join(tmp.root, name));
  const modules = [{ idx: 0, name: '0', path: '', type: `${ST}Transformer` }];
  const add = (/** @type {string} */ path, /** @type {string} */ type) => modules.push({ idx: modules.length, name: String(modules.length), path, type });
  add('1_Pooling', `${ST}Pooling`);
  mkdirSync(join(dir, '1_Pooling'));
  writeFileSync(join(dir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 256, ...(spec.pooling ?? {}) }));
  let width = spec.width ?? 256; // the Pooling output: 256 per pooling mode
  for (const [i, d] of (spec.dense ?? []).entries()) {
    const path = `${modules.length}_Dense`;
    add(path, `${ST}Dense`);
    mkdirSync(join(dir, path));
    writeFileSync(join(dir, path, 'config.json'), JSON.stringify({ in_features: width, out_features: d.out, bias: d.bias !== false,
      activation_function: d.activation ?? 'torch.nn.modules.activation.Tanh' }));
    const { w, b } = denseWeights(width, d.out, d.seed);
    const tensors = [{ name: 'linear.weight', dtype: 'F32', shape: [d.out, width], bytes: new Uint8Array(w.buffer) }];
    if (d.bias !== false) tensors.push({ name: 'linear.bias', dtype: 'F32', shape: [d.out], bytes: new Uint8Array(b.buffer) });
    writeFileSync(join(dir, path, spec.denseBinOnly ? 'pytorch_model.bin' : 'model.safetensors'), writeSafetensors(tensors));
    width = d.out;
  }
  for (const m of spec.extraModules ?? []) add(m.path, m.type);
  if (spec.normalize) add(`${modules.length}_Normalize`, `${ST}Normalize`);
  writeFileSync(join(dir, 'modules.json'), JSON.stringify(modules, null, 2));
  if (spec.stConfig) writeFileSync(join(dir, 'config_sentence_transformers.json'), JSON.stringify(spec.stConfig));
  writeFileSync(join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 512, do_lower_case: false, ...(spec.transformer ?? {}) }));
  return dir;
}

before(() => {
  if (SKIP_REASON) return;
  tmp = tempModels('bertology-st-');
  ref = readSharedJson('reference', 'bert-mini-mlm.json');
  const t = readTensors(sharedPath('reference', 'bert-mini-mlm.safetensors'));
  const [layers, batch, seq, hidden] = t.hidden_states.shape;
  const last = t.hidden_states.data.subarray((layers - 1) * batch * seq * hidden);
  H = {
    hidden,
    rows: Array.from({ length: batch }, (_, b) => /** @type {Float32Array} */ (last.subarray(b * seq * hidden, (b + 1) * seq * hidden))),
    masks: Array.from({ length: batch }, (_, b) => /** @type {Int32Array} */ (t.attention_mask.data.subarray(b * seq, (b + 1) * seq))),
  };
});
after(() => tmp?.cleanup());

// --- sentence-transformers' formulas, written out for the test -------------------------------------

/** @param {number} b row @param {string} mode @param {number} [skip] leading tokens masked (include_prompt false) */
function pooled(b, mode, skip = 0) {
  const x = H.rows[b];
  const hidden = H.hidden;
  const mask = Array.from(H.masks[b], (m, t) => (t < skip ? 0 : m));
  const seq = mask.length;
  const out = new Float64Array(hidden);
  const live = mask.flatMap((m, t) => (m ? [t] : []));
  for (let h = 0; h < hidden; h++) {
    const col = (/** @type {number} */ t) => x[t * hidden + h];
    if (mode === 'cls') out[h] = col(0);
    else if (mode === 'max') out[h] = Math.max(...Array.from({ length: seq }, (_, t) => (mask[t] ? col(t) : -1e9)));
    else if (mode === 'mean') out[h] = live.reduce((s, t) => s + col(t), 0) / live.length;
    else if (mode === 'mean_sqrt_len_tokens') out[h] = live.reduce((s, t) => s + col(t), 0) / Math.sqrt(live.length);
    else if (mode === 'weightedmean') out[h] = live.reduce((s, t) => s + (t + 1) * col(t), 0) / live.reduce((s, t) => s + t + 1, 0);
    else if (mode === 'lasttoken') out[h] = col(live[live.length - 1]);
  }
  return Array.from(out);
}

/** tanh(W x + b) etc. @param {number[]} x @param {{out: number, seed: number, activation?: string}} d */
function dense(x, d) {
  const { w, b } = denseWeights(x.length, d.out, d.seed);
  const act = /** @type {Record<string, (v: number) => number>} */ ({ Tanh: Math.tanh, Identity: (v) => v, ReLU: (v) => Math.max(v, 0) })[
    (d.activation ?? 'Tanh').split('.').at(-1) ?? ''];
  return Array.from({ length: d.out }, (_, j) => act(x.reduce((s, v, i) => s + w[j * x.length + i] * v, b[j])));
}

const unit = (/** @type {number[]} */ v) => { const n = Math.max(Math.hypot(...v), 1e-12); return v.map((x) => x / n); };

/** Max |a - b| over rows of a [n, d] tensor and expected rows. */
function rowsDiff(/** @type {any} */ out, /** @type {number[][]} */ expected) {
  assert.deepEqual(out.dims, [expected.length, expected[0].length]);
  let d = 0;
  expected.forEach((row, i) => row.forEach((v, k) => { d = Math.max(d, Math.abs(out.data[i * row.length + k] - v)); }));
  return d;
}

const ALL = () => ref.texts.map((_, i) => i);

for (const [mode, key] of [['cls', 'pooling_mode_cls_token'], ['mean', 'pooling_mode_mean_tokens'], ['max', 'pooling_mode_max_tokens'],
  ['mean_sqrt_len_tokens', 'pooling_mode_mean_sqrt_len_tokens'], ['weightedmean', 'pooling_mode_weightedmean_tokens'],
  ['lasttoken', 'pooling_mode_lasttoken']]) {
  test(`sentence-transformers: ${mode} pooling equals Pooling.forward on Hugging Face's hidden states`, { skip: SKIP_REASON }, async (t) => {
    const dir = stFolder(`pool-${mode}`, { pooling: { pooling_mode_mean_tokens: false, [key]: true } });
    const extractor = await pipeline('feature-extraction', dir, { threads: 1 });
    try {
      const out = await extractor(ref.texts);
      const diff = rowsDiff(out, ALL().map((b) => pooled(b, mode)));
      t.diagnostic(`${mode}: max |embedding - formula(HF hidden states)| = ${diff.toExponential(2)}`);
      assert.ok(diff <= 2e-5, `${mode}: ${diff}`);
    } finally {
      await extractor.dispose();
    }
  });
}

test('sentence-transformers: several pooling modes concatenate in Pooling\'s order; Dense (Tanh, fixed random weights) × 2 and Normalize', { skip: SKIP_REASON }, async (t) => {
  const spec = {
    pooling: { pooling_mode_cls_token: true, pooling_mode_max_tokens: true, pooling_mode_mean_tokens: true }, width: 768,
    dense: [{ out: 128, seed: 7 }, { out: 64, seed: 11, activation: 'torch.nn.modules.linear.Identity' }], normalize: true,
  };
  const dir = stFolder('dense', spec);
  const extractor = await pipeline('embeddings', dir, { threads: 1 });
  try {
    const out = await extractor(ref.texts);
    const expected = ALL().map((b) => unit(dense(dense([...pooled(b, 'cls'), ...pooled(b, 'max'), ...pooled(b, 'mean')], spec.dense[0]), spec.dense[1])));
    const diff = rowsDiff(out, expected);
    t.diagnostic(`cls+max+mean → Dense 768→128 tanh → Dense 128→64 → Normalize: max diff ${diff.toExponential(2)}`);
    assert.ok(diff <= 2e-5, `${diff}`);
    // The model's own chain is also what an explicit pooling that matches it gives; a different one is refused.
    await assert.rejects(extractor(ref.texts, { pooling: 'mean' }), /pools with cls \+ max \+ mean/);
    const tokens = await extractor(ref.texts[0], { pooling: 'none' });
    assert.equal(tokens.dims.length, 3);
    // Matryoshka: truncate_dim after the chain, then normalize (sentence-transformers' encode order).
    const cut = await extractor(ref.texts, { truncate_dim: 16, normalize: true });
    assert.ok(rowsDiff(cut, expected.map((v) => unit(v.slice(0, 16)))) <= 2e-5);
    const cutRaw = await extractor(ref.texts, { truncate_dim: 16 });
    assert.ok(rowsDiff(cutRaw, expected.map((v) => v.slice(0, 16))) <= 2e-5);
    // Without the modules: the encoder's output pooled as asked (transformers.js semantics).
    const plain = await extractor(ref.texts, { sentence_transformers: false, pooling: 'mean' });
    assert.ok(rowsDiff(plain, ALL().map((b) => pooled(b, 'mean'))) <= 2e-5);
  } finally {
    await extractor.dispose();
  }
});

test('sentence-transformers: prompts (prompt, prompt_name, default_prompt_name), include_prompt: false, similarity_fn_name', { skip: SKIP_REASON }, async () => {
  const stConfig = { prompts: { query: 'The ', passage: '' }, default_prompt_name: null, similarity_fn_name: 'dot' };
  const dir = stFolder('prompts', { pooling: { pooling_mode_mean_tokens: true, include_prompt: false }, stConfig });
  const withDefault = stFolder('prompts-default', { pooling: { pooling_mode_mean_tokens: true }, stConfig: { ...stConfig, default_prompt_name: 'query' } });
  // The reference texts that start with "The ": prompt "The " + the rest is the reference text itself.
  const rows = ALL().filter((b) => ref.texts[b].startsWith('The '));
  const rest = rows.map((b) => ref.texts[b].slice(4));
  const extractor = await pipeline('feature-extraction', dir, { threads: 1 });
  const defaulted = await pipeline('feature-extraction', withDefault, { threads: 1 });
  try {
    assert.equal(extractor.similarity_fn_name, 'dot');
    assert.deepEqual(extractor.prompts, { query: 'The ', passage: '' });
    // include_prompt: false masks the prompt's tokens ([CLS] "the": 2) out of the mean.
    const expected = rows.map((b) => pooled(b, 'mean', 2));
    assert.ok(rowsDiff(await extractor(rest, { prompt_name: 'query' }), expected) <= 2e-5);
    assert.ok(rowsDiff(await extractor(rest, { prompt: 'The ' }), expected) <= 2e-5);
    // default_prompt_name applies when neither prompt nor prompt_name is given; include_prompt defaults to true.
    const full = rows.map((b) => pooled(b, 'mean'));
    assert.ok(rowsDiff(await defaulted(rest), full) <= 2e-5);
    assert.ok(rowsDiff(await defaulted(ref.texts.filter((_, b) => rows.includes(b)), { prompt: '' }), full) <= 2e-5);
    const a = await extractor(rest.slice(0, 2));
    const b = await extractor(rest.slice(2, 4));
    const s = /** @type {Tensor} */ (extractor.similarity(a, b));
    assert.deepEqual(s.tolist(), /** @type {Tensor} */ (dot_score(a, b)).tolist());
    await assert.rejects(extractor(rest, { prompt_name: 'nope' }), /prompt_name "nope" is not among the model's prompts \(query, passage\)/);
    // Chunked with include_prompt: false: the prompt is masked in the first window only.
    const text = ref.texts.slice(0, 4).join(' ');
    const windows = extractor.tokenizer.encode(`The ${text}`, null, { return_overflowing_tokens: true, stride: 4, max_length: 16 });
    assert.ok(windows.length >= 3);
    const sum = new Float64Array(256);
    let weights = 0;
    windows.forEach((/** @type {any} */ w, /** @type {number} */ k) => {
      const state = extractor.model.forward({ input_ids: [w.input_ids] }).last_hidden_state.data;
      const from = k === 0 ? 2 : 0;
      const weight = w.sequence_ids.filter((/** @type {any} */ q) => q === 0).length;
      for (let h = 0; h < 256; h++) {
        let acc = 0;
        for (let t = from; t < w.input_ids.length; t++) acc += state[t * 256 + h];
        sum[h] += (acc / (w.input_ids.length - from)) * weight;
      }
      weights += weight;
    });
    const chunked = await extractor(text, { prompt_name: 'query', long_text: 'chunk', stride: 4, max_length: 16 });
    assert.equal(chunked.metadata[0].chunks, windows.length);
    assert.ok(rowsDiff(chunked, [Array.from(sum, (v) => v / weights)]) <= 1e-5);
  } finally {
    await extractor.dispose();
    await defaulted.dispose();
  }
});

test('sentence-transformers: max_seq_length and do_lower_case of sentence_bert_config.json; truncation metadata', { skip: SKIP_REASON }, async () => {
  const dir = stFolder('maxlen', { transformer: { max_seq_length: 6, do_lower_case: true } });
  const extractor = await pipeline('feature-extraction', dir, { threads: 1 });
  const plain = await pipeline('feature-extraction', sharedPath('models', 'bert-mini-mlm'), { threads: 1 });
  try {
    const out = await extractor(['THE CAPITAL of France is Paris.', 'Short.']);
    assert.deepEqual(out.metadata, [{ tokens: 9, max_length: 6, truncated: true }, { tokens: 4, max_length: 6, truncated: false }]);
    assert.equal(Object.keys(out).includes('metadata'), false, 'metadata is not enumerable');
    const e = plain.model.tokenize('the capital of france is paris.', null, { truncation: true, max_length: 6 });
    const expected = await plain({ input_ids: [Array.from(e.ids)] }, { pooling: 'mean' });
    const first = Array.from(out.data.subarray(0, 256));
    assert.ok(first.every((v, k) => Math.abs(v - expected.data[k]) <= 1e-6));
  } finally {
    await extractor.dispose();
    await plain.dispose();
  }
});

test('sentence-transformers: int8 / uint8 / binary / ubinary equal quantize_embeddings run by numpy', { skip: SKIP_REASON || (!existsSync(PYTHON) && 'no /usr/bin/python3') }, async (t) => {
  const dir = stFolder('quant', { pooling: { pooling_mode_mean_tokens: true }, dense: [{ out: 64, seed: 3 }] });
  const extractor = await pipeline('feature-extraction', dir, { threads: 1 });
  try {
    const floats = await extractor(ref.texts);
    const rows = floats.tolist();
    let numpy;
    try {
      numpy = JSON.parse(execFileSync(PYTHON, ['-c', `
import json, sys
import numpy as np
e = np.array(json.load(sys.stdin), dtype=np.float32)
# sentence_transformers.quantization.quantize_embeddings, ranges from the embeddings themselves
ranges = np.vstack((np.min(e, axis=0), np.max(e, axis=0)))
starts = ranges[0, :]
steps = (ranges[1, :] - ranges[0, :]) / 255
out = {
  "uint8": ((e - starts) / steps).astype(np.uint8).tolist(),
  "int8": ((e - starts) / steps - 128).astype(np.int8).tolist(),
  "binary": (np.packbits(e > 0).reshape(e.shape[0], -1) - 128).astype(np.int8).tolist(),
  "ubinary": np.packbits(e > 0).reshape(e.shape[0], -1).tolist(),
}
print(json.dumps(out))
`], { input: JSON.stringify(rows), encoding: 'utf8' }));
    } catch (e) {
      t.skip(`numpy is not available (${/** @type {Error} */ (e).message.split('\n')[0]}); apt-get install python3-numpy`);
      return;
    }
    for (const precision of ['uint8', 'int8', 'binary', 'ubinary']) {
      const q = await extractor(ref.texts, { precision });
      assert.equal(q.type, precision.endsWith('int8') ? precision : precision === 'binary' ? 'int8' : 'uint8');
      assert.deepEqual(q.tolist(), numpy[precision], precision);
      assert.deepEqual(quantizeEmbeddings(floats, /** @type {any} */ (precision)).tolist(), numpy[precision]);
    }
    t.diagnostic('uint8, int8, binary, ubinary: every value equal to numpy\'s (10 × 64 embeddings)');
    // Ranges given explicitly: numpy gives [129, 127, 254, 191] here (float32: 0.5 lands on 254.99998;
    // -1 is outside the range and its cast wraps around); values outside the range are clamped instead.
    const ranges = [Array(64).fill(-0.5), Array(64).fill(0.5)];
    const q = quantizeEmbeddings([[-1, 0, 0.5, 0.25, ...Array(60).fill(0)]], 'uint8', { ranges });
    assert.deepEqual(Array.from(q.data.subarray(0, 4)), [0, 127, 254, 191]);
    assert.deepEqual(quantizeEmbeddings(floats, 'int8', { calibration_embeddings: floats }).tolist(), numpy.int8);
  } finally {
    await extractor.dispose();
  }
});

test('sentence-transformers: the module files load from a directory, bytes, a URL, a Hugging Face id, a cache and a host that rewrites 404s', { skip: SKIP_REASON }, async (t) => {
  const spec = { pooling: { pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }, dense: [{ out: 32, seed: 5 }], normalize: true };
  const dir = stFolder('sources', spec);
  const expected = ALL().map((b) => unit(dense(pooled(b, 'cls'), spec.dense[0])));
  /** @type {Record<string, Uint8Array>} */
  const bytes = {};
  const walk = (/** @type {string} */ d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else bytes[relative(dir, p)] = new Uint8Array(readFileSync(p));
    }
  };
  walk(dir);
  const server = await startDevServer({ roots: { '/st/': dir, '/org/st-model/resolve/main/': dir }, port: 0 });
  /** @type {Map<string, Uint8Array>} */
  const store = new Map();
  const cache = {
    match: async (/** @type {string} */ url) => (store.has(url) ? new Response(store.get(url)) : undefined),
    put: async (/** @type {string} */ url, /** @type {Response} */ r) => { store.set(url, new Uint8Array(await r.arrayBuffer())); },
  };
  try {
    const sources = /** @type {[string, any, any][]} */ ([['directory', dir, {}], ['bytes', bytes, {}], ['URL', `${server.url}st/`, {}],
      ['Hugging Face id', 'org/st-model', { host: server.url }], ['Cache API (fill)', `${server.url}st/`, { cache }],
      ['Cache API (hit)', `${server.url}st/`, { cache }]]);
    for (const [kind, source, options] of sources) {
      const extractor = await pipeline('feature-extraction', source, { threads: 1, ...options });
      try {
        const diff = rowsDiff(await extractor(ref.texts), expected);
        assert.ok(diff <= 2e-5, `${kind}: ${diff}`);
      } finally {
        await extractor.dispose();
      }
    }
    assert.ok([...store.keys()].some((k) => k.endsWith('/2_Dense/model.safetensors')), 'module files are cached too');
    t.diagnostic(`6 sources: same embeddings; cached: ${[...store.keys()].map((k) => k.split('/st/')[1]).sort().join(', ')}`);
    // BertologyModel.load reads the module files only when asked (no extra requests for other tasks).
    const before = server.requests?.length ?? 0;
    const model = await BertologyModel.load(`${server.url}st/`, { threads: 1 });
    assert.equal(model.sentenceTransformers, null);
    model.dispose();
    if (server.requests) assert.ok(!server.requests.slice(before).some((/** @type {any} */ r) => /modules\.json/.test(r.url ?? r)));
  } finally {
    await server.close();
  }
  // A host that answers missing files with its app's page (single-page-app rewrites): the optional
  // probes count as absent, whatever the content type.
  const plainDir = copyModel(sharedPath('models', 'bert-mini-mlm'), join(tmp.root, 'plain-mlm'));
  for (const type of ['text/html; charset=utf-8', 'application/octet-stream']) {
    const spa = await startDevServer({
      roots: { '/m/': tmp.root }, port: 0,
      handler: async (/** @type {any} */ req, /** @type {any} */ res, /** @type {URL} */ url) => {
        const file = join(tmp.root, decodeURIComponent(url.pathname).replace(/^\/m\//, ''));
        if (url.pathname.startsWith('/m/') && !file.includes('..') && existsSync(file) && statSync(file).isFile()) return false;
        res.writeHead(200, { 'Content-Type': type }).end('<!DOCTYPE html><html><body>app</body></html>');
        return true;
      },
    });
    try {
      const st = await pipeline('feature-extraction', `${spa.url}m/sources/`, { threads: 1 });
      try {
        assert.ok(rowsDiff(await st(ref.texts), expected) <= 2e-5, `SPA host (${type})`);
      } finally {
        await st.dispose();
      }
      const plain = await pipeline('feature-extraction', `${spa.url}m/${relative(tmp.root, plainDir)}/`, { threads: 1 });
      try {
        assert.equal(plain.model.sentenceTransformers, null, `SPA host (${type}): no modules.json`);
      } finally {
        await plain.dispose();
      }
    } finally {
      await spa.close();
    }
  }
});

test('sentence-transformers: errors — .bin-only Dense weights, unsupported modules, bad modules.json, prompts on plain models', { skip: SKIP_REASON }, async () => {
  const bin = stFolder('bin-only', { dense: [{ out: 8, seed: 1 }], denseBinOnly: true });
  await assert.rejects(pipeline('feature-extraction', bin), (/** @type {any} */ e) => e.code === 'FILE_NOT_FOUND'
    && /2_Dense\/model\.safetensors not found/.test(e.message) && /pytorch_model\.bin/.test(e.message));
  const odd = stFolder('layernorm', { extraModules: [{ path: '2_LayerNorm', type: `${ST}LayerNorm` }] });
  const extractor = await pipeline('feature-extraction', odd, { threads: 1 });
  try {
    await assert.rejects(extractor('text'), /modules Bertology does not run: sentence_transformers\.models\.LayerNorm/);
    assert.equal((await extractor('text', { sentence_transformers: false, pooling: 'cls' })).dims[1], 256);
  } finally {
    await extractor.dispose();
  }
  const bad = stFolder('bad-modules', {});
  writeFileSync(join(bad, 'modules.json'), '[{"path": "../etc", "type": "x"}]');
  await assert.rejects(pipeline('feature-extraction', bad), /modules\.json .*plain relative paths/);
  const plain = await pipeline('feature-extraction', sharedPath('models', 'bert-mini-mlm'), { threads: 1 });
  try {
    assert.equal(plain.model.sentenceTransformers, null);
    await assert.rejects(plain('text', { prompt_name: 'query' }), /not among the model's prompts \(none/);
    await assert.rejects(plain('text', { sentence_transformers: true }), /no sentence-transformers files/);
    await assert.rejects(plain('text', { precision: 'int4' }), /precision must be one of/);
    await assert.rejects(plain('text', { truncate_dim: 8 }), /apply to pooled embeddings/);
    // A plain model with a prompt: the prompt is put before the text.
    const a = await plain('query: a cat', { pooling: 'mean' });
    const b = await plain('a cat', { pooling: 'mean', prompt: 'query: ' });
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
  } finally {
    await plain.dispose();
  }
});

test('similarity helpers: cos_sim, dot_score and semanticSearch (sentence-transformers\' util semantics)', () => {
  const a = [[1, 0, 0], [0, 2, 0]];
  const b = [[1, 1, 0], [0, 0, 3], [-1, 0, 0]];
  const c = /** @type {Tensor} */ (cos_sim(a, b));
  assert.ok(c instanceof Tensor);
  assert.deepEqual(c.dims, [2, 3]);
  const expected = [[Math.SQRT1_2, 0, -1], [Math.SQRT1_2, 0, 0]];
  c.tolist().forEach((/** @type {number[]} */ row, /** @type {number} */ i) => row.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) < 1e-7)));
  assert.deepEqual(/** @type {Tensor} */ (dot_score(a, b)).tolist(), [[1, 0, -1], [2, 0, 0]]);
  assert.ok(Math.abs(/** @type {number} */ (cos_sim([1, 2, 3], [1, 2, 3])) - 1) < 1e-7, 'two vectors: a number (transformers.js)');
  const hits = semanticSearch(a, b, { top_k: 2 });
  assert.deepEqual(hits.map((h) => h.map((x) => x.corpus_id)), [[0, 1], [0, 1]]);
  assert.ok(Math.abs(hits[0][0].score - Math.SQRT1_2) < 1e-7);
  assert.deepEqual(semanticSearch([[1, 0, 0]], b, { score_function: 'dot' })[0].map((x) => x.corpus_id), [0, 1, 2]);
  assert.throws(() => cos_sim([[1, 2]], [[1, 2, 3]]), /different sizes/);
  assert.throws(() => semanticSearch(a, b, { top_k: 0 }), /top_k/);
});
