// Trainer: teaches a loaded model new labels. Head-only training (train.layers 0, no LoRA) runs here
// in JS on frozen features: each distinct text goes through the engine's forward once, its
// classifier input is cached, and every epoch is a pass of AdamW over a linear layer (convex with
// the optional L2 term). The result saves as a Hugging Face folder (config.json with the new
// id2label/label2id and architectures, model.safetensors with the full weights) that pipeline()
// and transformers load.

import { BertologyError, check } from '../errors.js';
import { nodeModule } from '../runtime.js';
import { baseTensorNames, readCheckpoint } from './checkpoint.js';
import { accuracy, entityF1, macroF1 } from './metrics.js';
import { adamw, epochOrder, rng, scheduledLr } from './optim.js';
import { float32Bytes, readHeader, toFloat32, writeSafetensors } from './safetensors.js';
import { bytesEntry } from '../sources/common.js';
import { engineBatch, engineCanTrain, engineUnwrap, firstSubTokens } from './engine.js';

/** @typedef {import('./data.js').TextExample} TextExample */
/** @typedef {import('./data.js').TokenExample} TokenExample */

/**
 * @typedef {object} TrainerOptions
 * @property {'text-classification' | 'sentiment-analysis' | 'token-classification' | 'ner'} [task] default 'text-classification'
 * @property {string[]} labels the label names, in id order (id2label)
 * @property {{layers?: number | 'all', lora?: {r: number, alpha?: number} | null, embeddings?: boolean}} [train]
 *   what is trained besides the head: `layers` 0 (default: the head only, on cached frozen features)
 * @property {'cls' | 'mean'} [pooling] text classification, head only: 'cls' (default) trains the model
 *   class's own classifier on its input (BERT: the pooler's output), so the result saves as a Hugging Face
 *   *ForSequenceClassification; 'mean' trains a linear probe on the mask-aware mean of the last hidden
 *   state (evaluate/predict work; it has no Hugging Face class, so save() refuses it)
 * @property {{lr?: number, weight_decay?: number, warmup?: number, beta1?: number, beta2?: number, eps?: number,
 *   max_grad_norm?: number, l2?: number}} [optimizer] AdamW; `warmup` in steps (≥ 1) or as a fraction of
 *   all steps (< 1); `l2`: λ of an L2 penalty λ/2·‖W‖² added to the mean loss (scikit-learn's C = 1 / (λ·n))
 * @property {number} [batch_size] default 32
 * @property {number} [epochs] default 3
 * @property {number} [max_length] longest input in tokens (default: the model's limit)
 * @property {boolean} [truncation] cut longer texts to max_length instead of refusing them (default false)
 * @property {number} [seed] default 42
 * @property {Uint8Array | null} [resume] a checkpoint() to continue from
 */

/**
 * @typedef {object} TrainProgress
 * @property {'features' | 'train' | 'evaluate'} phase
 * @property {number} [epoch] epochs done, fractional
 * @property {number} [step] optimizer steps done
 * @property {number} [total_steps]
 * @property {number} [loss] mean training loss over the steps since the last report
 * @property {number} [lr] the learning rate of the last step
 * @property {number} [examples_per_second] training examples per second since fit() began (features included)
 * @property {number} [done] features: examples encoded so far
 * @property {number} [total] features: examples to encode
 */

const TASKS = /** @type {Record<string, 'sequence' | 'token'>} */ ({
  'text-classification': 'sequence', 'sentiment-analysis': 'sequence', sequence: 'sequence',
  'token-classification': 'token', ner: 'token', token: 'token',
});
const OPTION_KEYS = ['task', 'labels', 'train', 'pooling', 'optimizer', 'batch_size', 'epochs', 'max_length', 'truncation', 'seed', 'resume'];
const OPTIMIZER_KEYS = ['lr', 'weight_decay', 'warmup', 'beta1', 'beta2', 'eps', 'max_grad_norm', 'l2'];
const HEAD_ONLY_DEFAULTS = { lr: 1e-3, weight_decay: 0, warmup: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, max_grad_norm: 1, l2: 0 };

/**
 * @param {string} message
 * @param {Record<string, unknown>} [facts] extra fields (field, index, value, limit)
 * @returns {BertologyError}
 */
function invalid(message, facts = {}) {
  const e = new BertologyError(message, { code: 'INVALID_ARGUMENT' });
  Object.assign(e, facts);
  return e;
}

/** @param {AbortSignal | undefined} signal */
function throwIfAborted(signal) {
  if (signal?.aborted) {
    const e = new BertologyError('training cancelled (signal aborted)', { code: 'ABORTED', cause: signal.reason });
    e.name = 'AbortError';
    throw e;
  }
}

/** Lets the event loop run (progress, cancellation, UI). */
const yieldNow = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * @param {unknown} v
 * @param {string} field
 * @param {{min?: number, max?: number, integer?: boolean, open?: boolean}} [range]
 */
function numberOption(v, field, { min = -Infinity, max = Infinity, integer = false, open = false } = {}) {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max || (open && v === min)) {
    const want = `${integer ? 'an integer' : 'a finite number'}${Number.isFinite(min) ? ` ${open ? '>' : '>='} ${min}` : ''}${Number.isFinite(max) ? ` and <= ${max}` : ''}`;
    throw invalid(`Trainer: ${field} must be ${want}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`, { field, value: v });
  }
  return v;
}

export class Trainer {
  /** @type {import('../model.js').BertologyModel} */ model = /** @type {any} */ (null);
  /** @type {'sequence' | 'token'} */ kind = 'sequence';
  /** @type {string[]} */ labels = [];
  /** @type {'cls' | 'mean'} */ pooling = 'cls';
  /** @type {Required<NonNullable<TrainerOptions['optimizer']>>} */ optimizer = { ...HEAD_ONLY_DEFAULTS };
  batchSize = 32;
  epochs = 3;
  maxLength = 512;
  truncation = false;
  seed = 42;
  /** @type {import('./checkpoint.js').Checkpoint} */ #ckpt = /** @type {any} */ (null);
  /** classifier input transform (sequence, 'cls'): W [D, D], b [D], activation */
  /** @type {{weight: Float32Array, bias: Float32Array, act: 'tanh' | 'relu', name: string, fresh: boolean} | null} */ #transform = null;
  /** @type {{W: Float32Array, b: Float32Array, mW: Float32Array, vW: Float32Array, mb: Float32Array, vb: Float32Array}} */ #head = /** @type {any} */ (null);
  #step = 0;
  /** @type {number | null} examples the schedule was planned for */ #planned = null;
  /** @type {Map<string, Float32Array>} feature cache: text → classifier input (sequence) or word vectors (token) */
  #cache = new Map();
  /** @type {Map<string, Int32Array>} token: text → the word index of each cached vector */
  #wordsOf = new Map();
  #dim = 0;
  /** @type {{layers: number, embeddings: boolean, lora: {r: number, alpha: number} | null} | null} engine training (layers / LoRA) */
  #engineSpec = null;
  /** @type {any} the engine's Trainer, made at the first fit (it needs the step count) */
  #engine = null;
  /** @type {Uint8Array | null} engine state from a checkpoint, loaded when the engine trainer is made */
  #pendingState = null;
  /** @type {Map<string, import('../model.js').Encoding>} engine mode: text → encoding */
  #encodings = new Map();

  /** @private */
  constructor() { /* Trainer.create */ }

  /**
   * A trainer for `model` (a BertologyModel loaded from files: the trainer reads its checkpoint again
   * to save the result). The head is fresh, initialised as Hugging Face does (normal(0,
   * initializer_range) weights, zero bias), from `seed`.
   * @param {import('../model.js').BertologyModel} model
   * @param {TrainerOptions} options
   * @returns {Promise<Trainer>}
   */
  static async create(model, options) {
    check(model && typeof model === 'object' && typeof (/** @type {any} */ (model).tokenize) === 'function',
      'Trainer.create: the first argument must be a loaded BertologyModel');
    check(options && typeof options === 'object', 'Trainer.create: options must be an object with at least {labels}');
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) throw invalid(`Trainer.create: unknown option "${key}"; known: ${OPTION_KEYS.join(', ')}`, { field: key });
    }
    const t = new Trainer();
    t.model = model;
    const kind = TASKS[options.task ?? 'text-classification'];
    if (!kind) throw invalid(`Trainer.create: task must be text-classification or token-classification, got ${JSON.stringify(options.task)}`, { field: 'task' });
    t.kind = kind;
    const { labels } = options;
    if (!Array.isArray(labels) || labels.length < 2) {
      throw invalid(`Trainer.create: labels must list at least 2 label names, got ${JSON.stringify(labels)}`, { field: 'labels' });
    }
    if (!labels.every((l) => typeof l === 'string' && l.length > 0)) throw invalid('Trainer.create: every label must be a non-empty string', { field: 'labels' });
    if (new Set(labels).size !== labels.length) throw invalid(`Trainer.create: labels repeat a name: ${JSON.stringify(labels)}`, { field: 'labels' });
    t.labels = [...labels];

    const train = options.train ?? {};
    check(typeof train === 'object', 'Trainer.create: train must be an object {layers, lora, embeddings}');
    const layers = train.layers ?? 0;
    if (!(layers === 'all' || (Number.isInteger(layers) && layers >= 0))) {
      throw invalid(`Trainer.create: train.layers must be 0 (head only), a number of layers or 'all', got ${JSON.stringify(layers)}`, { field: 'train.layers' });
    }
    if (layers !== 0 || train.lora || train.embeddings) {
      if (!engineCanTrain(model)) {
        throw new BertologyError('Trainer.create: training encoder layers, embeddings or LoRA adapters needs the engine\'s training '
          + 'bindings, which this build does not have yet; train.layers 0 (head only) is available', { code: 'UNSUPPORTED' });
      }
      const lora = train.lora ?? null;
      if (lora !== null) {
        check(typeof lora === 'object', 'Trainer.create: train.lora must be {r, alpha} or null');
        numberOption(lora.r, 'train.lora.r', { min: 1, max: 1024, integer: true });
        if (lora.alpha !== undefined) numberOption(lora.alpha, 'train.lora.alpha', { min: 0, open: true });
      }
      t.#engineSpec = { layers: layers === 'all' ? -1 : layers, embeddings: Boolean(train.embeddings),
        lora: lora ? { r: lora.r, alpha: lora.alpha ?? lora.r } : null };
      if (options.pooling !== undefined && options.pooling !== 'cls') throw invalid('Trainer.create: pooling \'mean\' is for head-only training', { field: 'pooling' });
    }
    t.pooling = options.pooling ?? 'cls';
    if (!['cls', 'mean'].includes(t.pooling)) throw invalid(`Trainer.create: pooling must be 'cls' or 'mean', got ${JSON.stringify(t.pooling)}`, { field: 'pooling' });
    if (kind === 'token' && options.pooling !== undefined) throw invalid('Trainer.create: pooling applies to text classification only', { field: 'pooling' });

    const opt = options.optimizer ?? {};
    check(typeof opt === 'object', 'Trainer.create: optimizer must be an object');
    for (const key of Object.keys(opt)) {
      if (!OPTIMIZER_KEYS.includes(key)) throw invalid(`Trainer.create: unknown optimizer option "${key}"; known: ${OPTIMIZER_KEYS.join(', ')}`, { field: `optimizer.${key}` });
    }
    const o = { ...HEAD_ONLY_DEFAULTS, ...(t.#engineSpec ? { lr: 5e-5 } : {}), ...opt };
    numberOption(o.lr, 'optimizer.lr', { min: 0, open: true });
    numberOption(o.weight_decay, 'optimizer.weight_decay', { min: 0 });
    numberOption(o.warmup, 'optimizer.warmup', { min: 0 });
    numberOption(o.beta1, 'optimizer.beta1', { min: 0, max: 0.999999 });
    numberOption(o.beta2, 'optimizer.beta2', { min: 0, max: 0.999999999 });
    numberOption(o.eps, 'optimizer.eps', { min: 0 });
    numberOption(o.max_grad_norm, 'optimizer.max_grad_norm', { min: 0 });
    numberOption(o.l2, 'optimizer.l2', { min: 0 });
    t.optimizer = o;
    t.batchSize = numberOption(options.batch_size ?? 32, 'batch_size', { min: 1, max: 65536, integer: true });
    t.epochs = numberOption(options.epochs ?? 3, 'epochs', { min: 0, open: true });
    t.maxLength = numberOption(options.max_length ?? model.maxLength, 'max_length', { min: 3, max: model.maxLength, integer: true });
    t.truncation = Boolean(options.truncation);
    t.seed = numberOption(options.seed ?? 42, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true });

    const origin = model.origin;
    if (!origin) throw invalid('Trainer.create: the model has no source to read its weights from (load it with BertologyModel.load or pipeline())');
    t.#ckpt = await readCheckpoint(origin.source, origin.options);
    t.#dim = model.info.hidden_size;
    t.#initHead();
    if (options.resume) t.#loadCheckpoint(options.resume);
    return t;
  }

  /** Fresh classifier (and, for a checkpoint without one, the classifier-input transform) as Hugging Face initialises them. */
  #initHead() {
    const D = this.#dim;
    const L = this.labels.length;
    const std = Number(this.#ckpt.config.initializer_range ?? 0.02);
    const r = rng(this.seed);
    if (this.kind === 'sequence' && this.pooling === 'cls') {
      const { transform } = this.#ckpt.family;
      const stored = this.#ckpt.float(`${transform.name}.weight`) ?? (transform.bare ? this.#ckpt.float(`${transform.bare}.weight`) : null);
      const storedBias = this.#ckpt.float(`${transform.name}.bias`) ?? (transform.bare ? this.#ckpt.float(`${transform.bare}.bias`) : null);
      const weight = new Float32Array(D * D);
      const bias = new Float32Array(D);
      let fresh = true;
      if (stored && storedBias && stored.data.length === D * D) {
        weight.set(stored.data);
        bias.set(storedBias.data);
        fresh = false;
      } else {
        for (let i = 0; i < weight.length; i++) weight[i] = r.normal() * std;
      }
      this.#transform = { weight, bias, act: transform.act, name: transform.name, fresh };
    }
    const W = new Float32Array(L * D);
    for (let i = 0; i < W.length; i++) W[i] = r.normal() * std;
    this.#head = { W, b: new Float32Array(L), mW: new Float32Array(L * D), vW: new Float32Array(L * D), mb: new Float32Array(L), vb: new Float32Array(L) };
    this.#step = 0;
    this.#planned = null;
  }

  /**
   * Starts over: a fresh head from the seed and a new optimizer state (step 0), keeping the cached
   * features (head only), e.g. to train on another subset or with other settings without encoding the
   * texts again. `optimizer` entries, `epochs` and `batch_size` given here replace the current ones.
   * @param {{optimizer?: TrainerOptions['optimizer'], epochs?: number, batch_size?: number}} [options]
   */
  reset({ optimizer, epochs, batch_size } = {}) {
    if (optimizer !== undefined) {
      check(typeof optimizer === 'object' && optimizer !== null, 'reset: optimizer must be an object');
      for (const key of Object.keys(optimizer)) {
        if (!OPTIMIZER_KEYS.includes(key)) throw invalid(`reset: unknown optimizer option "${key}"; known: ${OPTIMIZER_KEYS.join(', ')}`, { field: `optimizer.${key}` });
      }
      const o = { ...this.optimizer, ...optimizer };
      numberOption(o.lr, 'optimizer.lr', { min: 0, open: true });
      for (const k of ['weight_decay', 'warmup', 'eps', 'max_grad_norm', 'l2']) numberOption(/** @type {any} */ (o)[k], `optimizer.${k}`, { min: 0 });
      numberOption(o.beta1, 'optimizer.beta1', { min: 0, max: 0.999999 });
      numberOption(o.beta2, 'optimizer.beta2', { min: 0, max: 0.999999999 });
      this.optimizer = o;
    }
    if (epochs !== undefined) this.epochs = numberOption(epochs, 'epochs', { min: 0, open: true });
    if (batch_size !== undefined) this.batchSize = numberOption(batch_size, 'batch_size', { min: 1, max: 65536, integer: true });
    if (this.#engine) { this.#engine.delete(); this.#engine = null; }
    this.#pendingState = null;
    this.#initHead();
  }

  /** Optimizer steps taken so far. */
  get step() { return this.#step; }

  /** The task as the trainer sees it: 'sequence' or 'token' classification. */
  get task() { return this.kind === 'sequence' ? 'text-classification' : 'token-classification'; }

  // ---------------------------------------------------------------- data

  /**
   * Label ids of classification examples; throws on an unknown label.
   * @param {TextExample[]} examples
   * @param {string} what
   * @returns {Int32Array}
   */
  #labelIds(examples, what) {
    const ids = new Int32Array(examples.length);
    examples.forEach((ex, i) => {
      if (!ex || typeof ex !== 'object' || typeof ex.text !== 'string') {
        throw invalid(`${what}: example ${i} must be {text: string, label}, got ${JSON.stringify(ex)?.slice(0, 80)}`, { index: i });
      }
      const { label } = ex;
      let id = -1;
      if (typeof label === 'number' && Number.isInteger(label)) id = label >= 0 && label < this.labels.length ? label : -1;
      else if (typeof label === 'string') id = this.labels.indexOf(label);
      if (id < 0) {
        throw invalid(`${what}: example ${i} has label ${JSON.stringify(label)}, which is not one of the trainer's labels ${JSON.stringify(this.labels)} (or their indices 0..${this.labels.length - 1})`,
          { index: i, value: label, field: 'label' });
      }
      ids[i] = id;
    });
    return ids;
  }

  /**
   * @param {TokenExample[]} examples
   * @param {string} what
   */
  #checkTokenExamples(examples, what) {
    examples.forEach((ex, i) => {
      if (!ex || !Array.isArray(ex.words) || !Array.isArray(ex.tags) || ex.words.length !== ex.tags.length || ex.words.length === 0) {
        throw invalid(`${what}: example ${i} must be {words: string[], tags: string[]} of the same non-zero length`, { index: i });
      }
      ex.tags.forEach((tag) => {
        if (!this.labels.includes(tag)) {
          throw invalid(`${what}: example ${i} has tag ${JSON.stringify(tag)}, which is not one of the trainer's labels ${JSON.stringify(this.labels)}`,
            { index: i, value: tag, field: 'tags' });
        }
      });
    });
  }

  /** @param {TextExample | TokenExample} ex */
  #key(ex) {
    if (this.kind === 'token') return /** @type {TokenExample} */ (ex).words.join(' ');
    const e = /** @type {TextExample} */ (ex);
    return e.text_pair == null ? e.text : `${e.text}\u0000${e.text_pair}`;
  }

  /**
   * One example's encoding, refusing (or, with truncation, cutting) texts over max_length.
   * @param {TextExample | TokenExample} ex
   * @param {number} i
   * @param {string} what
   * @returns {import('../model.js').Encoding}
   */
  #tokenize(ex, i, what) {
    const key = this.#key(ex);
    const text = this.kind === 'token' ? key : /** @type {TextExample} */ (ex).text;
    const pair = this.kind === 'token' ? null : /** @type {TextExample} */ (ex).text_pair ?? null;
    const full = this.model.tokenize(text, pair, { truncation: false });
    if (full.ids.length > this.maxLength && !this.truncation) {
      throw invalid(`${what}: example ${i} is ${full.ids.length} tokens long, over the limit of ${this.maxLength} (max_length); shorten it or pass truncation: true`,
        { index: i, value: full.ids.length, limit: 'max_length', max: this.maxLength });
    }
    return full.ids.length > this.maxLength ? this.model.tokenize(text, pair, { truncation: true, max_length: this.maxLength }) : full;
  }

  /**
   * Runs the frozen encoder on every example whose features are not cached yet.
   * @param {(TextExample | TokenExample)[]} examples
   * @param {{signal?: AbortSignal, onProgress?: (p: TrainProgress) => void, what: string}} ctx
   */
  async #encode(examples, { signal, onProgress, what }) {
    const model = this.model;
    /** @type {Map<string, import('../model.js').Encoding>} */
    const todo = new Map();
    examples.forEach((ex, i) => {
      const key = this.#key(ex);
      if (this.#cache.has(key) || todo.has(key)) return;
      todo.set(key, this.#tokenize(ex, i, what));
    });
    const keys = [...todo.keys()].sort((a, b) => /** @type {any} */ (todo.get(a)).ids.length - /** @type {any} */ (todo.get(b)).ids.length);
    const total = keys.length;
    const mlm = model.info.head === 'masked_lm';
    const D = this.#dim;
    const B = 32;
    for (let start = 0; start < keys.length; start += B) {
      throwIfAborted(signal);
      const batchKeys = keys.slice(start, start + B);
      const encs = batchKeys.map((k) => /** @type {import('../model.js').Encoding} */ (todo.get(k)));
      const out = model.forwardEncodings(encs, mlm ? { logits_for_token_ids: [] } : {});
      const state = out.last_hidden_state;
      if (!state || state.dims.length !== 3) throw new BertologyError(`${what}: the engine returned no last_hidden_state`, { code: 'INTERNAL' });
      const seq = state.dims[1];
      const hs = state.data;
      encs.forEach((enc, b) => {
        const len = enc.ids.length;
        const off = model.padding_side === 'left' ? seq - len : 0;
        const row = (/** @type {number} */ t) => hs.subarray((b * seq + off + t) * D, (b * seq + off + t + 1) * D);
        if (this.kind === 'sequence') {
          const f = new Float32Array(D);
          if (this.pooling === 'mean') {
            let n = 0;
            for (let t = 0; t < len; t++) {
              if (!enc.attention_mask[t]) continue;
              const x = row(t);
              for (let d = 0; d < D; d++) f[d] += x[d];
              n++;
            }
            for (let d = 0; d < D; d++) f[d] /= Math.max(1, n);
          } else {
            this.#applyTransform(row(0), f);
          }
          this.#cache.set(batchKeys[b], f);
        } else {
          // first sub-token of each word (Hugging Face's label alignment: the rest get -100)
          const words = batchKeys[b].split(' ');
          const starts = [];
          let pos = 0;
          for (const w of words) { starts.push(pos); pos += w.length + 1; }
          const vecs = [];
          const wordIdx = [];
          let w = 0;
          let last = -1;
          for (let t = 0; t < len; t++) {
            if (enc.sequence_ids[t] !== 0) continue;
            const s = enc.offsets[2 * t];
            while (w + 1 < words.length && starts[w + 1] <= s) w++;
            if (w === last) continue;
            last = w;
            vecs.push(row(t).slice());
            wordIdx.push(w);
          }
          const f = new Float32Array(vecs.length * D);
          vecs.forEach((v, i) => f.set(v, i * D));
          this.#cache.set(batchKeys[b], f);
          this.#wordsOf.set(batchKeys[b], Int32Array.from(wordIdx));
        }
      });
      onProgress?.({ phase: 'features', done: Math.min(total, start + B), total });
      await yieldNow();
    }
  }

  /**
   * @param {Float32Array} x first token's hidden state [D]
   * @param {Float32Array} out [D]
   */
  #applyTransform(x, out) {
    const tr = /** @type {NonNullable<typeof this.transform>} */ (this.#transform);
    const D = this.#dim;
    for (let i = 0; i < D; i++) {
      let s = tr.bias[i];
      const w = tr.weight.subarray(i * D, (i + 1) * D);
      for (let d = 0; d < D; d++) s += w[d] * x[d];
      out[i] = tr.act === 'tanh' ? Math.tanh(s) : Math.max(0, s);
    }
  }

  /** @private for the type checker */
  get transform() { return this.#transform; }

  /**
   * The training matrix: one row per classification example or per labelled word.
   * @param {(TextExample | TokenExample)[]} examples
   * @param {string} what
   * @returns {{X: Float32Array, y: Int32Array, n: number}}
   */
  #matrix(examples, what) {
    const D = this.#dim;
    if (this.kind === 'sequence') {
      const y = this.#labelIds(/** @type {TextExample[]} */ (examples), what);
      const X = new Float32Array(examples.length * D);
      examples.forEach((ex, i) => X.set(/** @type {Float32Array} */ (this.#cache.get(this.#key(ex))), i * D));
      return { X, y, n: examples.length };
    }
    /** @type {Float32Array[]} */
    const rows = [];
    /** @type {number[]} */
    const ys = [];
    for (const ex of /** @type {TokenExample[]} */ (examples)) {
      const key = this.#key(ex);
      const f = /** @type {Float32Array} */ (this.#cache.get(key));
      const words = /** @type {Int32Array} */ (this.#wordsOf.get(key));
      words.forEach((w, i) => { rows.push(f.subarray(i * D, (i + 1) * D)); ys.push(this.labels.indexOf(ex.tags[w])); });
    }
    const X = new Float32Array(rows.length * D);
    rows.forEach((r, i) => X.set(r, i * D));
    return { X, y: Int32Array.from(ys), n: rows.length };
  }

  /**
   * Checks examples and returns the rows to train or evaluate on.
   * @param {unknown} examples
   * @param {string} what
   * @param {{signal?: AbortSignal, onProgress?: (p: TrainProgress) => void}} ctx
   */
  async #prepare(examples, what, ctx) {
    if (!Array.isArray(examples)) throw invalid(`${what}: examples must be an array`);
    if (examples.length === 0) throw invalid(`${what}: the dataset is empty`, { field: 'examples' });
    if (this.kind === 'sequence') this.#labelIds(/** @type {TextExample[]} */ (examples), what);
    else this.#checkTokenExamples(/** @type {TokenExample[]} */ (examples), what);
    await this.#encode(examples, { ...ctx, what });
    return this.#matrix(examples, what);
  }

  // ---------------------------------------------------------------- training

  /**
   * Logits of rows [from, from + count) of X under the current head, into `out` [count, L].
   * @param {Float32Array} X
   * @param {Int32Array | number[]} rows
   * @param {Float32Array} out
   */
  #logits(X, rows, out) {
    const D = this.#dim;
    const L = this.labels.length;
    const { W, b } = this.#head;
    for (let r = 0; r < rows.length; r++) {
      const x = X.subarray(rows[r] * D, (rows[r] + 1) * D);
      for (let k = 0; k < L; k++) {
        let s = b[k];
        const w = W.subarray(k * D, (k + 1) * D);
        for (let d = 0; d < D; d++) s += w[d] * x[d];
        out[r * L + k] = s;
      }
    }
  }

  /**
   * Trains on `examples` for the configured epochs (continuing a resumed or cancelled run where it
   * stopped). Resolves with the last epoch's mean loss and the speed.
   * @param {(TextExample | TokenExample)[]} examples
   * @param {{signal?: AbortSignal, onProgress?: (p: TrainProgress) => void}} [options]
   * @returns {Promise<{loss: number, steps: number, epochs: number, examples_per_second: number, seconds: number, feature_seconds: number}>}
   */
  async fit(examples, { signal, onProgress } = {}) {
    if (this.#engineSpec) return this.#fitEngine(examples, { signal, onProgress });
    const t0 = performance.now();
    throwIfAborted(signal);
    const { X, y, n } = await this.#prepare(examples, 'fit', { signal, onProgress });
    if (n === 0) throw invalid('fit: no labelled words survived tokenization', { field: 'examples' });
    const present = new Set(y);
    if (present.size < 2) {
      throw invalid(`fit: every training example has the label ${JSON.stringify(this.labels[y[0]])}; a classifier needs examples of at least 2 labels`,
        { field: 'label', value: this.labels[y[0]] });
    }
    if (this.#planned !== null && this.#planned !== n) {
      throw invalid(`fit: this run was planned for ${this.#planned} training rows, got ${n}; resume with the same examples (or create a new Trainer)`);
    }
    this.#planned = n;
    const tFeatures = performance.now();
    const bs = this.batchSize;
    const perEpoch = Math.ceil(n / bs);
    const total = Math.ceil(perEpoch * this.epochs);
    const o = this.optimizer;
    const warmup = o.warmup >= 1 ? Math.round(o.warmup) : Math.ceil(o.warmup * total);
    const D = this.#dim;
    const L = this.labels.length;
    const h = this.#head;
    const gW = new Float32Array(L * D);
    const gb = new Float32Array(L);
    const logits = new Float32Array(bs * L);
    let lossSum = 0;
    let lossCount = 0;
    let epochLoss = 0;
    let epochCount = 0;
    let lastReport = performance.now();
    let trained = 0;
    /** @type {Int32Array | null} */
    let order = null;
    let orderEpoch = -1;
    let lr = 0;
    while (this.#step < total) {
      throwIfAborted(signal);
      const epoch = Math.floor(this.#step / perEpoch);
      const inEpoch = this.#step - epoch * perEpoch;
      if (epoch !== orderEpoch) { order = epochOrder(n, this.seed, epoch); orderEpoch = epoch; epochLoss = 0; epochCount = 0; }
      const rows = /** @type {Int32Array} */ (order).subarray(inEpoch * bs, Math.min(n, (inEpoch + 1) * bs));
      const B = rows.length;
      this.#logits(X, rows, logits);
      gW.fill(0);
      gb.fill(0);
      let loss = 0;
      for (let r = 0; r < B; r++) {
        const z = logits.subarray(r * L, (r + 1) * L);
        let max = -Infinity;
        for (let k = 0; k < L; k++) max = Math.max(max, z[k]);
        let sum = 0;
        for (let k = 0; k < L; k++) sum += Math.exp(z[k] - max);
        const lse = max + Math.log(sum);
        const target = y[rows[r]];
        loss += lse - z[target];
        const x = X.subarray(rows[r] * D, (rows[r] + 1) * D);
        for (let k = 0; k < L; k++) {
          const g = (Math.exp(z[k] - lse) - (k === target ? 1 : 0)) / B;
          if (g === 0) continue;
          gb[k] += g;
          const gw = gW.subarray(k * D, (k + 1) * D);
          for (let d = 0; d < D; d++) gw[d] += g * x[d];
        }
      }
      loss /= B;
      if (o.l2 > 0) {
        let sq = 0;
        for (let i = 0; i < h.W.length; i++) { sq += h.W[i] * h.W[i]; gW[i] += o.l2 * h.W[i]; }
        loss += 0.5 * o.l2 * sq;
      }
      if (!Number.isFinite(loss)) {
        throw new BertologyError(`fit: the loss became ${loss} at step ${this.#step + 1} (learning rate too high?)`, { code: 'NUMERIC' });
      }
      if (o.max_grad_norm > 0) {
        let sq = 0;
        for (let i = 0; i < gW.length; i++) sq += gW[i] * gW[i];
        for (let i = 0; i < gb.length; i++) sq += gb[i] * gb[i];
        const norm = Math.sqrt(sq);
        if (norm > o.max_grad_norm) {
          const scale = o.max_grad_norm / (norm + 1e-6);  // torch.nn.utils.clip_grad_norm_
          for (let i = 0; i < gW.length; i++) gW[i] *= scale;
          for (let i = 0; i < gb.length; i++) gb[i] *= scale;
        }
      }
      lr = scheduledLr(o.lr, this.#step, warmup, total);
      const common = { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, t: this.#step + 1 };
      adamw(h.W, gW, h.mW, h.vW, { ...common, weight_decay: o.weight_decay });
      adamw(h.b, gb, h.mb, h.vb, { ...common, weight_decay: 0 });  // no decay on biases (HF Trainer)
      this.#step++;
      trained += B;
      lossSum += loss; lossCount++;
      epochLoss += loss; epochCount++;
      const now = performance.now();
      const endOfEpoch = this.#step % perEpoch === 0 || this.#step === total;
      if (onProgress && (endOfEpoch || now - lastReport > 100)) {
        onProgress({ phase: 'train', epoch: this.#step / perEpoch, step: this.#step, total_steps: total, loss: lossSum / lossCount, lr,
          examples_per_second: trained / ((now - t0) / 1000) });
        lossSum = 0; lossCount = 0; lastReport = now;
      }
      if (endOfEpoch || now - lastReport > 50) await yieldNow();
    }
    const seconds = (performance.now() - t0) / 1000;
    return { loss: epochCount ? epochLoss / epochCount : NaN, steps: this.#step, epochs: this.#step / perEpoch,
      examples_per_second: trained / seconds, seconds, feature_seconds: (tFeatures - t0) / 1000 };
  }

  /**
   * Scores examples: text classification → {accuracy, macro_f1, loss, per_label}; token classification
   * → {f1, precision, recall, accuracy (per word), loss} with entity-level F1 as seqeval computes it.
   * @param {(TextExample | TokenExample)[]} examples
   * @param {{signal?: AbortSignal, onProgress?: (p: TrainProgress) => void}} [options]
   */
  async evaluate(examples, { signal, onProgress } = {}) {
    let y;
    let n;
    const L = this.labels.length;
    let logits;
    if (this.#engineSpec) {
      ({ y, logits } = await this.#engineRows(examples, 'evaluate', signal));
      n = y.length;
    } else {
      let X;
      ({ X, y, n } = await this.#prepare(examples, 'evaluate', { signal, onProgress }));
      logits = new Float32Array(n * L);
      this.#logits(X, Int32Array.from({ length: n }, (_, i) => i), logits);
    }
    const pred = new Int32Array(n);
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const z = logits.subarray(r * L, (r + 1) * L);
      let best = 0;
      for (let k = 1; k < L; k++) if (z[k] > z[best]) best = k;
      pred[r] = best;
      let sum = 0;
      for (let k = 0; k < L; k++) sum += Math.exp(z[k] - z[best]);
      loss += z[best] + Math.log(sum) - z[y[r]];
    }
    loss /= Math.max(1, n);
    if (this.kind === 'sequence') {
      const { macro_f1, per_label } = macroF1(y, pred, L);
      return { accuracy: accuracy(y, pred), macro_f1, loss, total: n,
        per_label: Object.fromEntries(this.labels.map((l, k) => [l, per_label[k]])) };
    }
    /** @type {string[][]} */
    const predicted = [];
    let at = 0;
    for (const ex of /** @type {TokenExample[]} */ (examples)) {
      const tags = new Array(ex.words.length).fill('O');
      const words = this.#engineSpec ? firstSubTokens(this.#encodingOf(ex), ex.words).map((p) => p.word)
        : /** @type {Int32Array} */ (this.#wordsOf.get(this.#key(ex)));
      words.forEach((w) => { tags[w] = this.labels[pred[at++]]; });
      predicted.push(tags);
    }
    const scores = entityF1(/** @type {TokenExample[]} */ (examples).map((e) => e.tags), predicted);
    return { f1: scores.f1, precision: scores.precision, recall: scores.recall, accuracy: accuracy(y, pred), loss, total: n };
  }

  /**
   * Text classification: each text's labels sorted by score (softmax), as the text-classification pipeline returns them with top_k: null.
   * @param {string | string[]} texts
   * @returns {Promise<{label: string, score: number}[][]>}
   */
  async predict(texts) {
    check(this.kind === 'sequence', 'predict: text classification only (evaluate token classification with evaluate())');
    const list = typeof texts === 'string' ? [texts] : texts;
    check(Array.isArray(list) && list.every((t) => typeof t === 'string'), 'predict: texts must be a string or an array of strings');
    const examples = list.map((text) => ({ text, label: 0 }));
    if (examples.length === 0) return [];
    const L = this.labels.length;
    let logits;
    if (this.#engineSpec) {
      ({ logits } = await this.#engineRows(examples, 'predict'));
    } else {
      await this.#encode(examples, { what: 'predict' });
      const D = this.#dim;
      const X = new Float32Array(list.length * D);
      examples.forEach((ex, i) => X.set(/** @type {Float32Array} */ (this.#cache.get(this.#key(ex))), i * D));
      logits = new Float32Array(list.length * L);
      this.#logits(X, Int32Array.from({ length: list.length }, (_, i) => i), logits);
    }
    return list.map((_, r) => {
      const z = logits.subarray(r * L, (r + 1) * L);
      const max = Math.max(...z);
      const e = Array.from(z, (v) => Math.exp(v - max));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v, k) => ({ label: this.labels[k], score: v / s })).sort((a, b) => b.score - a.score);
    });
  }

  /**
   * The cached features of examples (the classifier's input), [rows, hidden], and their label ids — for
   * checking the head against another solver on the same inputs.
   * @param {(TextExample | TokenExample)[]} examples
   */
  async features(examples) {
    const { X, y, n } = await this.#prepare(examples, 'features', {});
    return { data: X, dims: [n, this.#dim], labels: y };
  }

  /** The head's weights: classifier [labels, hidden] and bias [labels] (copies). */
  get head() { return { weight: this.#head.W.slice(), bias: this.#head.b.slice() }; }

  // ---------------------------------------------------------------- save / resume

  /**
   * The trained model as a Hugging Face folder: config.json (architectures, id2label, label2id),
   * model.safetensors (every base-model tensor as stored, the new head in float32), the tokenizer files.
   * With `dir` (Node), also writes them there.
   * @param {string} [dir]
   * @returns {Promise<Record<string, Uint8Array>>}
   */
  async save(dir) {
    if (this.kind === 'sequence' && this.pooling === 'mean') {
      throw new BertologyError('save: a head trained on mean-pooled features has no Hugging Face *ForSequenceClassification equivalent '
        + '(those classify the first token); train with pooling: \'cls\' to save', { code: 'UNSUPPORTED' });
    }
    const ckpt = this.#ckpt;
    const { family } = ckpt;
    const D = this.#dim;
    const L = this.labels.length;
    /** @type {import('./safetensors.js').RawTensor[]} */
    const tensors = [];
    if (this.#engineSpec) {
      if (!this.#engine) throw invalid('save: nothing trained yet (call fit() first)');
      const all = engineUnwrap(this.#engine.tensors('all'), 'save');
      for (const t of all) tensors.push({ name: t.name, dtype: 'F32', shape: Array.from(t.shape, Number), bytes: float32Bytes(t.data) });
    }
    const f32 = (/** @type {string} */ name, /** @type {number[]} */ shape, /** @type {Float32Array} */ data) =>
      tensors.push({ name, dtype: 'F32', shape, bytes: float32Bytes(data) });
    const headNames = new Set();
    let classifier = 'classifier';
    if (this.kind === 'sequence') {
      const tr = /** @type {NonNullable<typeof this.transform>} */ (this.#transform);
      headNames.add(`${tr.name}.weight`).add(`${tr.name}.bias`);
      classifier = family.classifier;
    }
    for (const { name, stored } of this.#engineSpec ? [] : baseTensorNames(ckpt, this.kind)) {
      if (headNames.has(name)) continue;
      const t = /** @type {any} */ (ckpt.tensors.get(stored));
      tensors.push({ name, dtype: t.dtype, shape: t.shape, bytes: t.read() });
    }
    if (this.kind === 'sequence' && !this.#engineSpec) {
      const tr = /** @type {NonNullable<typeof this.transform>} */ (this.#transform);
      f32(`${tr.name}.weight`, [D, D], tr.weight);
      f32(`${tr.name}.bias`, [D], tr.bias);
    }
    if (!this.#engineSpec) {
      f32(`${classifier}.weight`, [L, D], this.#head.W);
      f32(`${classifier}.bias`, [L], this.#head.b);
    }
    tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const config = { ...ckpt.config };
    config.architectures = [`${family.stem}For${this.kind === 'sequence' ? 'Sequence' : 'Token'}Classification`];
    config.id2label = Object.fromEntries(this.labels.map((l, i) => [String(i), l]));
    config.label2id = Object.fromEntries(this.labels.map((l, i) => [l, i]));
    delete config.num_labels;
    if (this.kind === 'sequence') config.problem_type = 'single_label_classification';
    else delete config.problem_type;
    /** @type {Record<string, Uint8Array>} */
    const files = {
      'config.json': new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
      'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
    };
    for (const [name, bytes] of ckpt.extraFiles) files[name] = bytes;
    if (dir !== undefined) {
      check(typeof dir === 'string' && dir.length > 0, 'save: dir must be a directory path');
      const fs = nodeModule('fs');
      const path = nodeModule('path');
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
    }
    return files;
  }

  /**
   * Everything needed to continue this run later: the head, AdamW's moments, the step, the
   * (possibly fresh) classifier-input transform and the options, as one safetensors file.
   * @returns {Uint8Array}
   */
  checkpoint() {
    const D = this.#dim;
    const L = this.labels.length;
    const h = this.#head;
    /** @type {import('./safetensors.js').RawTensor[]} */
    const tensors = [
      ['W', [L, D], h.W], ['b', [L], h.b], ['mW', [L, D], h.mW], ['vW', [L, D], h.vW], ['mb', [L], h.mb], ['vb', [L], h.vb],
    ].map(([name, shape, data]) => ({ name: /** @type {string} */ (name), dtype: 'F32', shape: /** @type {number[]} */ (shape), bytes: float32Bytes(/** @type {Float32Array} */ (data)) }));
    const engineState = this.#engine ? engineUnwrap(this.#engine.state(), 'checkpoint') : this.#pendingState;
    if (engineState) tensors.push({ name: 'engine_state', dtype: 'U8', shape: [engineState.length], bytes: Uint8Array.from(engineState) });
    if (this.#transform) {
      tensors.push({ name: 'transform.weight', dtype: 'F32', shape: [D, D], bytes: float32Bytes(this.#transform.weight) });
      tensors.push({ name: 'transform.bias', dtype: 'F32', shape: [D], bytes: float32Bytes(this.#transform.bias) });
    }
    return writeSafetensors(tensors, {
      bertology_trainer: '1',
      state: JSON.stringify({ step: this.#step, planned: this.#planned, kind: this.kind, labels: this.labels, pooling: this.pooling, train: this.#engineSpec,
        seed: this.seed, batch_size: this.batchSize, epochs: this.epochs, optimizer: this.optimizer, max_length: this.maxLength }),
    });
  }

  /** @param {Uint8Array} bytes */
  #loadCheckpoint(bytes) {
    check(bytes instanceof Uint8Array, 'Trainer.create: resume must be the Uint8Array from trainer.checkpoint()');
    const entry = bytesEntry(bytes);
    const { tensors, base } = readHeader(entry, 'checkpoint');
    const head = new Uint8Array(8);
    entry.read(0, 8, head);
    const len = Number(new DataView(head.buffer).getBigUint64(0, true));
    const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))).__metadata__ ?? {};
    check(meta.bertology_trainer === '1', 'Trainer.create: resume is not a Bertology trainer checkpoint');
    const state = JSON.parse(meta.state);
    for (const [field, mine] of /** @type {[string, unknown][]} */ ([['kind', this.kind], ['labels', this.labels], ['pooling', this.pooling],
      ['seed', this.seed], ['batch_size', this.batchSize], ['train', this.#engineSpec], ['epochs', this.epochs], ['optimizer', this.optimizer], ['max_length', this.maxLength]])) {
      if (JSON.stringify(state[field]) !== JSON.stringify(mine)) {
        throw invalid(`Trainer.create: the checkpoint was made with ${field} ${JSON.stringify(state[field])}, these options say ${JSON.stringify(mine)}`, { field });
      }
    }
    const get = (/** @type {string} */ name) => {
      const t = tensors.get(name);
      if (!t) throw invalid(`Trainer.create: the checkpoint lacks ${name}`);
      const [b, e] = t.data_offsets;
      return toFloat32(t.dtype, bytes.subarray(base + b, base + e), name);
    };
    const h = this.#head;
    h.W.set(get('W')); h.b.set(get('b')); h.mW.set(get('mW')); h.vW.set(get('vW')); h.mb.set(get('mb')); h.vb.set(get('vb'));
    if (this.#transform) {
      this.#transform.weight.set(get('transform.weight'));
      this.#transform.bias.set(get('transform.bias'));
    }
    this.#step = state.step;
    this.#planned = state.planned;
    const es = tensors.get('engine_state');
    if (es) this.#pendingState = bytes.slice(base + es.data_offsets[0], base + es.data_offsets[1]);
  }

  /** Releases the feature cache and the engine's trainer (the model stays loaded; dispose it separately). */
  dispose() {
    this.#cache.clear();
    this.#wordsOf.clear();
    this.#encodings.clear();
    if (this.#engine) { this.#engine.delete(); this.#engine = null; }
  }

  // ---------------------------------------------------------------- engine training (layers, LoRA)

  /** @param {TextExample | TokenExample} ex */
  #encodingOf(ex) {
    return /** @type {import('../model.js').Encoding} */ (this.#encodings.get(this.#key(ex)));
  }

  /**
   * Checks and tokenizes examples; returns each one's label (an id, or token labels).
   * @param {unknown} examples
   * @param {string} what
   * @returns {(number | {token: number, label: number}[])[]}
   */
  #engineExamples(examples, what) {
    if (!Array.isArray(examples)) throw invalid(`${what}: examples must be an array`);
    if (examples.length === 0) throw invalid(`${what}: the dataset is empty`, { field: 'examples' });
    const ids = this.kind === 'sequence' ? this.#labelIds(/** @type {TextExample[]} */ (examples), what) : null;
    if (this.kind === 'token') this.#checkTokenExamples(/** @type {TokenExample[]} */ (examples), what);
    return examples.map((ex, i) => {
      const key = this.#key(ex);
      if (!this.#encodings.has(key)) this.#encodings.set(key, this.#tokenize(ex, i, what));
      if (ids) return ids[i];
      const e = /** @type {TokenExample} */ (ex);
      return firstSubTokens(this.#encodingOf(e), e.words).map(({ token, word }) => ({ token, label: this.labels.indexOf(e.tags[word]) }));
    });
  }

  /**
   * Logits of every labelled row (examples for sequences, first sub-tokens for tokens) from the engine.
   * @param {(TextExample | TokenExample)[]} examples
   * @param {string} what
   * @param {AbortSignal} [signal]
   */
  async #engineRows(examples, what, signal) {
    const labels = this.#engineExamples(examples, what);
    if (!this.#engine) this.#makeEngine(1);
    const L = this.labels.length;
    /** @type {number[][]} per example: its rows' logits, flattened */
    const perExample = new Array(examples.length);
    const order = examples.map((_, i) => i).sort((a, b) => this.#encodingOf(examples[a]).ids.length - this.#encodingOf(examples[b]).ids.length);
    for (let start = 0; start < order.length; start += 32) {
      throwIfAborted(signal);
      const idx = order.slice(start, start + 32);
      const encs = idx.map((i) => this.#encodingOf(examples[i]));
      const b = engineBatch(this.model, encs, idx.map((i) => labels[i]));
      const r = engineUnwrap(this.#engine.logits(b.ids, b.typeIds, b.mask, b.batch, b.seq), what);
      const z = /** @type {Float32Array} */ (r.logits);
      idx.forEach((i, row) => {
        if (this.kind === 'sequence') { perExample[i] = Array.from(z.subarray(row * L, (row + 1) * L)); return; }
        const off = this.model.padding_side === 'left' ? b.seq - encs[row].ids.length : 0;
        perExample[i] = /** @type {{token: number}[]} */ (labels[i]).flatMap(({ token }) =>
          Array.from(z.subarray((row * b.seq + off + token) * L, (row * b.seq + off + token + 1) * L)));
      });
      await yieldNow();
    }
    const y = Int32Array.from(labels.flatMap((l) => (typeof l === 'number' ? [l] : l.map((p) => p.label))));
    return { y, logits: Float32Array.from(perExample.flat()) };
  }

  /** @param {number} total optimizer steps of the run */
  #makeEngine(total) {
    const o = this.optimizer;
    const spec = /** @type {NonNullable<typeof this.engineSpec>} */ (this.#engineSpec);
    const warmup = o.warmup >= 1 ? Math.round(o.warmup) : Math.ceil(o.warmup * total);
    const options = {
      task: this.kind, num_labels: this.labels.length, layers: spec.layers, embeddings: spec.embeddings, seed: this.seed,
      ...(spec.lora ? { lora: spec.lora } : {}), initializer_range: Number(this.#ckpt.config.initializer_range ?? 0.02),
      optimizer: { lr: o.lr, weight_decay: o.weight_decay, beta1: o.beta1, beta2: o.beta2, eps: o.eps, warmup_steps: warmup,
        total_steps: total, max_grad_norm: o.max_grad_norm, l2: o.l2 },
    };
    const module = /** @type {any} */ (this.model.runtime).module;
    const engine = new module.Trainer(this.model.raw, JSON.stringify(options));
    const err = engine.error();
    if (err) { engine.delete(); engineUnwrap(err, 'Trainer.create'); }
    if (this.#pendingState) {
      const r = engine.loadState(this.#pendingState);
      if (r) { engine.delete(); engineUnwrap(r, 'Trainer.create (resume)'); }
      this.#pendingState = null;
    }
    this.#engine = engine;
  }

  /** @private for the type checker */
  get engineSpec() { return this.#engineSpec; }

  /**
   * @param {(TextExample | TokenExample)[]} examples
   * @param {{signal?: AbortSignal, onProgress?: (p: TrainProgress) => void}} ctx
   */
  async #fitEngine(examples, { signal, onProgress }) {
    const t0 = performance.now();
    throwIfAborted(signal);
    const labels = this.#engineExamples(examples, 'fit');
    const flat = labels.flatMap((l) => (typeof l === 'number' ? [l] : l.map((p) => p.label)));
    if (new Set(flat).size < 2) {
      throw invalid(`fit: every training example has the label ${JSON.stringify(this.labels[flat[0]])}; a classifier needs examples of at least 2 labels`,
        { field: 'label', value: this.labels[flat[0]] });
    }
    const n = examples.length;
    if (this.#planned !== null && this.#planned !== n) {
      throw invalid(`fit: this run was planned for ${this.#planned} examples, got ${n}; resume with the same examples (or create a new Trainer)`);
    }
    this.#planned = n;
    const bs = this.batchSize;
    const perEpoch = Math.ceil(n / bs);
    const total = Math.ceil(perEpoch * this.epochs);
    if (!this.#engine) this.#makeEngine(total);
    let lossSum = 0;
    let lossCount = 0;
    let epochLoss = 0;
    let epochCount = 0;
    let trained = 0;
    let lastReport = performance.now();
    /** @type {Int32Array | null} */
    let order = null;
    let orderEpoch = -1;
    while (this.#step < total) {
      throwIfAborted(signal);
      const epoch = Math.floor(this.#step / perEpoch);
      const inEpoch = this.#step - epoch * perEpoch;
      if (epoch !== orderEpoch) { order = epochOrder(n, this.seed, epoch); orderEpoch = epoch; epochLoss = 0; epochCount = 0; }
      const rows = Array.from(/** @type {Int32Array} */ (order).subarray(inEpoch * bs, Math.min(n, (inEpoch + 1) * bs)));
      const b = engineBatch(this.model, rows.map((i) => this.#encodingOf(examples[i])), rows.map((i) => labels[i]));
      const r = engineUnwrap(this.#engine.step(b.ids, b.typeIds, b.mask, b.batch, b.seq, b.labels), 'fit');
      if (!Number.isFinite(r.loss)) {
        throw new BertologyError(`fit: the loss became ${r.loss} at step ${this.#step + 1} (learning rate too high?)`, { code: 'NUMERIC' });
      }
      this.#step++;
      trained += rows.length;
      lossSum += r.loss; lossCount++;
      epochLoss += r.loss; epochCount++;
      const now = performance.now();
      if (onProgress && (this.#step % perEpoch === 0 || this.#step === total || now - lastReport > 100)) {
        onProgress({ phase: 'train', epoch: this.#step / perEpoch, step: this.#step, total_steps: total, loss: lossSum / lossCount, lr: r.lr,
          examples_per_second: trained / ((now - t0) / 1000) });
        lossSum = 0; lossCount = 0; lastReport = now;
      }
      await yieldNow();
    }
    const seconds = (performance.now() - t0) / 1000;
    return { loss: epochCount ? epochLoss / epochCount : NaN, steps: this.#step, epochs: this.#step / perEpoch,
      examples_per_second: trained / seconds, seconds, feature_seconds: 0 };
  }
}
