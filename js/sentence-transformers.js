// sentence-transformers models as their authors meant them: the module chain of modules.json
// (Transformer → Pooling → Dense… → Normalize), 1_Pooling/config.json, 2_Dense/{config.json,
// model.safetensors}, config_sentence_transformers.json (prompts, default_prompt_name,
// similarity_fn_name) and sentence_bert_config.json (max_seq_length, do_lower_case), read from the
// model's files (js/sources/modules.js fetches them) and applied to the encoder's last hidden state
// with sentence-transformers' formulas (models/Pooling.py, Dense.py, Normalize.py).

import { BertologyError } from './errors.js';
import { readHeader, toFloat32 } from './safetensors.js';
import { readText } from './sources/common.js';
import { MODULES, ST_CONFIG, ST_TRANSFORMER_CONFIG, moduleKind, parseModulesJson } from './sources/modules.js';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** Pooling modes in the order sentence-transformers concatenates them (Pooling.forward). */
export const POOLING_MODES = ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'];

/** 1_Pooling/config.json keys → modes. */
const POOLING_KEYS = /** @type {Record<string, string>} */ ({
  pooling_mode_cls_token: 'cls', pooling_mode_max_tokens: 'max', pooling_mode_mean_tokens: 'mean',
  pooling_mode_mean_sqrt_len_tokens: 'mean_sqrt_len_tokens', pooling_mode_weightedmean_tokens: 'weightedmean',
  pooling_mode_lasttoken: 'lasttoken',
});

/** Activations a Dense layer may name (torch class → function), as torch defines them. */
export const ACTIVATIONS = /** @type {Record<string, (x: number) => number>} */ ({
  Tanh: Math.tanh,
  Identity: (x) => x,
  ReLU: (x) => (x > 0 ? x : 0),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  SiLU: (x) => x / (1 + Math.exp(-x)),
  GELU: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
});

/**
 * @typedef {object} PoolingModule
 * @property {'Pooling'} kind
 * @property {string[]} modes in concatenation order
 * @property {boolean} include_prompt
 * @property {number} [word_embedding_dimension]
 *
 * @typedef {object} DenseModule
 * @property {'Dense'} kind
 * @property {number} in_features
 * @property {number} out_features
 * @property {Float32Array} weight [out_features, in_features]
 * @property {Float32Array | null} bias
 * @property {string} activation the torch class name (Tanh, Identity, ...)
 *
 * @typedef {{kind: 'Normalize'}} NormalizeModule
 * @typedef {{kind: 'Transformer', path: string}} TransformerModule
 * @typedef {{kind: 'Unsupported', type: string}} UnsupportedModule
 * @typedef {PoolingModule | DenseModule | NormalizeModule | TransformerModule | UnsupportedModule} StModule
 */

/**
 * A sentence-transformers model's configuration (null for models without modules.json).
 * @typedef {object} SentenceTransformersConfig
 * @property {StModule[]} modules in modules.json order
 * @property {Record<string, string>} prompts
 * @property {string | null} default_prompt_name
 * @property {string | null} similarity_fn_name "cosine" when unset (sentence-transformers' default)
 * @property {number | null} max_seq_length from sentence_bert_config.json
 * @property {boolean} do_lower_case
 */

/**
 * @param {Map<string, import('./sources/common.js').FileEntry>} files
 * @param {string} name
 * @param {string} where
 */
function readJson(files, name, where) {
  const entry = files.get(name);
  if (!entry) return undefined;
  try {
    return JSON.parse(readText(entry));
  } catch (cause) {
    throw new BertologyError(`${name} (${where}): invalid JSON (${/** @type {Error} */ (cause).message})`, { code: 'BAD_CHECKPOINT', cause });
  }
}

/**
 * Reads the sentence-transformers files among a model's files; null when there is no modules.json.
 * @param {Map<string, import('./sources/common.js').FileEntry>} files
 * @param {string} where for messages
 * @returns {SentenceTransformersConfig | null}
 */
export function readSentenceTransformers(files, where) {
  const entry = files.get(MODULES);
  if (!entry) return null;
  const fail = (/** @type {string} */ m) => new BertologyError(`sentence-transformers model (${where}): ${m}`, { code: 'BAD_CHECKPOINT' });
  /** @type {StModule[]} */
  const modules = parseModulesJson(readText(entry), where).map((m) => {
    const kind = moduleKind(m.type);
    if (kind === 'Transformer') return { kind, path: m.path };
    if (kind === 'Normalize') return { kind };
    if (kind === 'Pooling') {
      const c = readJson(files, `${m.path}/config.json`, where) ?? {};
      /** @type {string[]} */
      let modes;
      if (typeof c.pooling_mode === 'string') {
        const mode = c.pooling_mode.toLowerCase();
        if (!POOLING_MODES.includes(mode)) throw fail(`${m.path}/config.json: unknown pooling_mode "${c.pooling_mode}"`);
        modes = [mode];
      } else {
        // Pooling's constructor defaults: mean on, the others off.
        const on = { ...{ pooling_mode_mean_tokens: true }, ...c };
        modes = POOLING_MODES.filter((mode) => Object.entries(POOLING_KEYS).some(([k, v]) => v === mode && on[k] === true));
      }
      if (modes.length === 0) throw fail(`${m.path}/config.json enables no pooling mode`);
      return { kind, modes, include_prompt: c.include_prompt !== false, word_embedding_dimension: c.word_embedding_dimension };
    }
    if (kind === 'Dense') return readDense(files, m.path, where);
    return { kind: 'Unsupported', type: m.type };
  });
  const st = readJson(files, ST_CONFIG, where) ?? {};
  const tc = readJson(files, ST_TRANSFORMER_CONFIG, where) ?? {};
  const prompts = st.prompts && typeof st.prompts === 'object' ? st.prompts : {};
  for (const [k, v] of Object.entries(prompts)) if (typeof v !== 'string') throw fail(`${ST_CONFIG}: prompt "${k}" must be a string`);
  const defaultPrompt = typeof st.default_prompt_name === 'string' && st.default_prompt_name ? st.default_prompt_name : null;
  if (defaultPrompt !== null && !Object.hasOwn(prompts, defaultPrompt)) {
    throw fail(`${ST_CONFIG}: default_prompt_name "${defaultPrompt}" is not among the prompts (${Object.keys(prompts).join(', ') || 'none'})`);
  }
  return {
    modules,
    prompts: { ...prompts },
    default_prompt_name: defaultPrompt,
    similarity_fn_name: typeof st.similarity_fn_name === 'string' ? st.similarity_fn_name : null,
    max_seq_length: Number.isInteger(tc.max_seq_length) && tc.max_seq_length > 0 ? tc.max_seq_length : null,
    do_lower_case: tc.do_lower_case === true,
  };
}

/**
 * A Dense module: config.json (in_features, out_features, bias, activation_function) and the
 * safetensors weights linear.weight [out, in], linear.bias [out].
 * @param {Map<string, import('./sources/common.js').FileEntry>} files
 * @param {string} path
 * @param {string} where
 * @returns {DenseModule}
 */
function readDense(files, path, where) {
  const fail = (/** @type {string} */ m) => new BertologyError(`sentence-transformers model (${where}): ${path}: ${m}`, { code: 'BAD_CHECKPOINT' });
  const c = readJson(files, `${path}/config.json`, where) ?? {};
  const { in_features: inF, out_features: outF } = c;
  if (!Number.isInteger(inF) || !Number.isInteger(outF) || inF <= 0 || outF <= 0) throw fail('config.json needs positive integer in_features and out_features');
  const activation = typeof c.activation_function === 'string' ? c.activation_function.split('.').at(-1) ?? '' : 'Tanh';
  if (!Object.hasOwn(ACTIVATIONS, activation)) {
    throw fail(`activation_function "${c.activation_function}" is not supported (supported: ${Object.keys(ACTIVATIONS).map((a) => `torch.nn.${a}`).join(', ')})`);
  }
  const entry = files.get(`${path}/model.safetensors`);
  if (!entry) throw fail('model.safetensors is missing');
  const tensors = readSafetensors(entry, `${path}/model.safetensors`, fail);
  const weight = tensors['linear.weight'];
  if (!weight || weight.shape.length !== 2 || weight.shape[0] !== outF || weight.shape[1] !== inF) {
    throw fail(`model.safetensors must hold linear.weight [${outF}, ${inF}]${weight ? `, got [${weight.shape}]` : ''}`);
  }
  const bias = tensors['linear.bias'] ?? null;
  if (c.bias !== false && (!bias || bias.shape.length !== 1 || bias.shape[0] !== outF)) throw fail(`model.safetensors must hold linear.bias [${outF}]`);
  return { kind: 'Dense', in_features: inF, out_features: outF, weight: weight.data, bias: c.bias === false ? null : bias?.data ?? null, activation };
}

/**
 * Decodes a (small) safetensors file into float32 tensors (F32, F16, BF16, F64), through the package's one
 * safetensors reader (js/safetensors.js) with this module's BAD_CHECKPOINT errors.
 * @param {import('./sources/common.js').FileEntry} entry
 * @param {string} name
 * @param {(m: string) => Error} fail
 * @returns {Record<string, {shape: number[], data: Float32Array}>}
 */
function readSafetensors(entry, name, fail) {
  const { tensors, base } = readHeader(entry, name, fail);
  /** @type {Record<string, {shape: number[], data: Float32Array}>} */
  const out = {};
  for (const [key, t] of tensors) {
    if (!FLOAT_DTYPES.has(t.dtype)) throw fail(`${name}: tensor ${key} has dtype ${t.dtype} (expected F32, F16, BF16 or F64)`);
    const [begin, end] = t.data_offsets;
    const bytes = new Uint8Array(end - begin);
    if (entry.read(base + begin, end - begin, bytes) !== end - begin) throw fail(`${name}: cannot read tensor ${key}`);
    out[key] = { shape: t.shape, data: toFloat32(t.dtype, bytes, key, fail) };
  }
  return out;
}

/**
 * erf(x) to double precision: Maclaurin series for |x| < 2.5, the continued fraction of erfc beyond.
 * @param {number} x
 */
export function erf(x) {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))) evaluated bottom-up.
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + (k / 2) / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/**
 * Pools one row's token embeddings as Pooling.forward does (modes concatenated in its order).
 * @param {Float32Array} x [seq, hidden] token embeddings of this row (padded positions included)
 * @param {ArrayLike<number>} mask [seq] attention mask (prompt tokens already zeroed for include_prompt: false)
 * @param {number} hidden
 * @param {string[]} modes
 * @returns {Float32Array} [modes.length * hidden]
 */
export function poolRow(x, mask, hidden, modes) {
  const seq = x.length / hidden;
  const out = new Float32Array(modes.length * hidden);
  let o = 0;
  const ordered = POOLING_MODES.filter((m) => modes.includes(m));
  for (const mode of ordered) {
    if (mode === 'cls') {
      out.set(x.subarray(0, hidden), o);
    } else if (mode === 'max') {
      for (let h = 0; h < hidden; h++) {
        let best = -Infinity;
        for (let t = 0; t < seq; t++) best = Math.max(best, mask[t] ? x[t * hidden + h] : -1e9);
        out[o + h] = best;
      }
    } else if (mode === 'mean' || mode === 'mean_sqrt_len_tokens' || mode === 'weightedmean') {
      const sum = new Float64Array(hidden);
      let weightSum = 0;
      for (let t = 0; t < seq; t++) {
        if (!mask[t]) continue;
        const w = mode === 'weightedmean' ? t + 1 : 1;
        weightSum += w;
        for (let h = 0; h < hidden; h++) sum[h] += w * x[t * hidden + h];
      }
      const denom = Math.max(weightSum, 1e-9);
      const div = mode === 'mean_sqrt_len_tokens' ? Math.sqrt(denom) : denom;
      for (let h = 0; h < hidden; h++) out[o + h] = sum[h] / div;
    } else if (mode === 'lasttoken') {
      let last = -1;
      for (let t = seq - 1; t >= 0; t--) if (mask[t]) { last = t; break; }
      // No unmasked token: sentence-transformers gathers the last position times its mask (zeros).
      if (last >= 0) out.set(x.subarray(last * hidden, (last + 1) * hidden), o);
    }
    o += hidden;
  }
  return out;
}

/**
 * y = activation(W x + b) for one vector.
 * @param {DenseModule} d
 * @param {Float32Array} x
 */
export function denseForward(d, x) {
  if (x.length !== d.in_features) {
    throw new BertologyError(`sentence-transformers Dense layer expects ${d.in_features} inputs, got ${x.length}`, { code: 'BAD_CHECKPOINT' });
  }
  const act = ACTIVATIONS[d.activation];
  const y = new Float32Array(d.out_features);
  for (let j = 0; j < d.out_features; j++) {
    let s = d.bias ? d.bias[j] : 0;
    const row = j * d.in_features;
    for (let i = 0; i < d.in_features; i++) s += d.weight[row + i] * x[i];
    y[j] = act(s);
  }
  return y;
}

/**
 * L2-normalizes a vector in place as torch.nn.functional.normalize (norm clamped at 1e-12).
 * @param {Float32Array} v
 * @param {number} [start]
 * @param {number} [end]
 */
export function normalizeInPlace(v, start = 0, end = v.length) {
  let sq = 0;
  for (let i = start; i < end; i++) sq += v[i] * v[i];
  const norm = Math.max(Math.sqrt(sq), 1e-12);
  for (let i = start; i < end; i++) v[i] /= norm;
  return v;
}

/**
 * The modules after the Transformer that feature extraction can apply, or an error naming the others.
 * @param {SentenceTransformersConfig} st
 * @returns {{pooling: PoolingModule, after: (DenseModule | NormalizeModule)[]}}
 */
export function sentenceModules(st) {
  const unsupported = st.modules.filter((m) => m.kind === 'Unsupported').map((m) => /** @type {UnsupportedModule} */ (m).type);
  if (unsupported.length) {
    throw new BertologyError(`this sentence-transformers model uses modules Bertology does not run: ${unsupported.join(', ')} `
      + '(supported: Transformer, Pooling, Dense, Normalize); pass sentence_transformers: false for the encoder\'s output', { code: 'INVALID_ARGUMENT' });
  }
  const first = st.modules[0];
  if (!first || first.kind !== 'Transformer') {
    throw new BertologyError('this sentence-transformers model does not start with a Transformer module (modules.json)', { code: 'INVALID_ARGUMENT' });
  }
  if (first.path !== '') {
    throw new BertologyError(`this sentence-transformers model keeps its transformer in the sub-folder "${first.path}"; `
      + 'load that folder as the model (its config.json and weights live there)', { code: 'INVALID_ARGUMENT' });
  }
  const poolingAt = st.modules.findIndex((m) => m.kind === 'Pooling');
  if (poolingAt !== 1) {
    throw new BertologyError('this sentence-transformers model has no Pooling module right after its Transformer (modules.json); '
      + 'pass sentence_transformers: false and a pooling option', { code: 'INVALID_ARGUMENT' });
  }
  const after = /** @type {(DenseModule | NormalizeModule)[]} */ (st.modules.slice(2));
  if (after.some((m) => m.kind !== 'Dense' && m.kind !== 'Normalize')) {
    throw new BertologyError('this sentence-transformers model has more than one Transformer or Pooling module', { code: 'INVALID_ARGUMENT' });
  }
  return { pooling: /** @type {PoolingModule} */ (st.modules[1]), after };
}
