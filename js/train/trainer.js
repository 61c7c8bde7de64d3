// Trainer: teaches a loaded model new labels. Head-only training (train.layers 0, no LoRA) runs here
// in JS on frozen features: each distinct text goes through the engine's forward once, its
// classifier input is cached, and every epoch is a pass of AdamW over a linear layer (convex with
// the optional L2 term; head.js). Layers, embeddings and LoRA train in the engine (engine.js,
// EngineRun). The result saves as a Hugging Face folder (export.js: config.json with the new
// id2label/label2id and architectures, model.safetensors with the full weights) that pipeline() and
// transformers load. Options and their per-mode defaults: options.js.

import { BertologyError, check } from '../errors.js';
import { readCheckpoint } from './checkpoint.js';
import { EngineRun, firstSubTokens } from './engine.js';
import { checkExamples, exampleKey, tokenizeExample } from './examples.js';
import { hfFolder, readTrainerCheckpoint, writeTrainerCheckpoint } from './export.js';
import { headLogits, headStep, initHead, sequenceFeature, wordFeatures } from './head.js';
import { accuracy, entityF1, macroF1 } from './metrics.js';
import { epochOrder } from './optim.js';
import { checkOptimizer, invalid, numberOption, throwIfAborted, trainerSettings, yieldNow } from './options.js';

/** @typedef {import('./data.js').TextExample} TextExample */
/** @typedef {import('./data.js').TokenExample} TokenExample */
/** @typedef {import('./options.js').TrainerOptions} TrainerOptions */
/** @typedef {import('./options.js').TrainProgress} TrainProgress */

export class Trainer {
  /** @type {import('../model.js').BertologyModel} */ model = /** @type {any} */ (null);
  /** @type {'sequence' | 'token'} */ kind = 'sequence';
  /** @type {string[]} */ labels = [];
  /** @type {'cls' | 'mean'} */ pooling = 'cls';
  /** @type {import('./options.js').OptimizerSettings} */ optimizer = /** @type {any} */ (null);
  batchSize = 32;
  epochs = 3;
  maxLength = 512;
  truncation = false;
  seed = 42;
  /** @type {import('./checkpoint.js').Checkpoint} */ #ckpt = /** @type {any} */ (null);
  /** @type {import('./head.js').Transform | null} classifier input transform (sequence, 'cls') */ #transform = null;
  /** @type {import('./head.js').Head} */ #head = /** @type {any} */ (null);
  /** optimizer steps taken; the example count the schedule was planned for */
  #progress = /** @type {{step: number, planned: number | null}} */ ({ step: 0, planned: null });
  /** @type {Map<string, Float32Array>} feature cache: text → classifier input (sequence) or word vectors (token) */
  #cache = new Map();
  /** @type {Map<string, Int32Array>} token: text → the word index of each cached vector */
  #wordsOf = new Map();
  #dim = 0;
  /** @type {import('./options.js').TrainerSettings} */ #settings = /** @type {any} */ (null);
  /** @type {EngineRun | null} engine training (layers / LoRA) */ #run = null;

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
    const s = trainerSettings(model, options);
    // Progressive loading: training reads every row of the word embeddings.
    await model.weightsComplete;
    const t = new Trainer();
    t.model = model;
    t.#settings = s;
    t.#apply();
    const origin = model.origin;
    if (!origin) throw invalid('Trainer.create: the model has no source to read its weights from (load it with BertologyModel.load or pipeline())');
    t.#ckpt = await readCheckpoint(origin.source, origin.options);
    t.#dim = model.info.hidden_size;
    if (s.engineSpec) t.#run = new EngineRun(model, s, Number(t.#ckpt.config.initializer_range ?? 0.02), t.#progress);
    t.#initHead();
    if (options.resume) t.#loadCheckpoint(options.resume);
    return t;
  }

  /** Mirrors the settings into the public fields. */
  #apply() {
    const s = this.#settings;
    this.kind = s.kind; this.labels = s.labels; this.pooling = s.pooling; this.optimizer = s.optimizer;
    this.batchSize = s.batchSize; this.epochs = s.epochs; this.maxLength = s.maxLength; this.truncation = s.truncation; this.seed = s.seed;
  }

  /** Fresh classifier (and, for a checkpoint without one, the classifier-input transform) as Hugging Face initialises them. */
  #initHead() {
    ({ transform: this.#transform, head: this.#head } = initHead(this.#ckpt, { kind: this.kind, pooling: this.pooling, labels: this.labels.length,
      dim: this.#dim, seed: this.seed }));
    this.#progress.step = 0;
    this.#progress.planned = null;
  }

  /**
   * Starts over: a fresh head from the seed and a new optimizer state (step 0), keeping the cached
   * features (head only), e.g. to train on another subset or with other settings without encoding the
   * texts again. `optimizer` entries, `epochs` and `batch_size` given here replace the current ones.
   * @param {{optimizer?: TrainerOptions['optimizer'], epochs?: number, batch_size?: number}} [options]
   */
  reset({ optimizer, epochs, batch_size } = {}) {
    const s = this.#settings;
    if (optimizer !== undefined) s.optimizer = checkOptimizer(optimizer, this.optimizer, 'reset');
    if (epochs !== undefined) s.epochs = numberOption(epochs, 'epochs', { min: 0, open: true });
    if (batch_size !== undefined) s.batchSize = numberOption(batch_size, 'batch_size', { min: 1, max: 65536, integer: true });
    this.#apply();
    this.#run?.reset();
    this.#initHead();
  }

  /** Optimizer steps taken so far. */
  get step() { return this.#progress.step; }

  /** The task as the trainer sees it: 'sequence' or 'token' classification. */
  get task() { return this.kind === 'sequence' ? 'text-classification' : 'token-classification'; }

  // ---------------------------------------------------------------- head only: features

  /** @param {TextExample | TokenExample} ex */
  #key(ex) { return exampleKey(this.kind, ex); }

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
      todo.set(key, tokenizeExample(model, this, ex, i, what));
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
        const off = model.padding_side === 'left' ? seq - enc.ids.length : 0;
        const row = (/** @type {number} */ t) => hs.subarray((b * seq + off + t) * D, (b * seq + off + t + 1) * D);
        if (this.kind === 'sequence') {
          this.#cache.set(batchKeys[b], sequenceFeature(row, enc, this.pooling, this.#transform, D));
        } else {
          const { vectors, words } = wordFeatures(row, enc, batchKeys[b], D);
          this.#cache.set(batchKeys[b], vectors);
          this.#wordsOf.set(batchKeys[b], words);
        }
      });
      onProgress?.({ phase: 'features', done: Math.min(total, start + B), total });
      await yieldNow();
    }
  }

  /** @private for the type checker */
  get transform() { return this.#transform; }

  /** @private for the type checker */
  get engineSpec() { return this.#settings.engineSpec; }

  /**
   * The training matrix: one row per classification example or per labelled word.
   * @param {(TextExample | TokenExample)[]} examples
   * @param {Int32Array | null} ids sequence: the label ids
   * @returns {{X: Float32Array, y: Int32Array, n: number}}
   */
  #matrix(examples, ids) {
    const D = this.#dim;
    if (ids) {
      const X = new Float32Array(examples.length * D);
      examples.forEach((ex, i) => X.set(/** @type {Float32Array} */ (this.#cache.get(this.#key(ex))), i * D));
      return { X, y: ids, n: examples.length };
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
    const ids = checkExamples(this.labels, this.kind, examples, what);
    const list = /** @type {(TextExample | TokenExample)[]} */ (examples);
    await this.#encode(list, { ...ctx, what });
    return this.#matrix(list, ids);
  }

  // ---------------------------------------------------------------- training

  /**
   * Trains on `examples` for the configured epochs (continuing a resumed or cancelled run where it
   * stopped). Resolves with the last epoch's mean loss and the speed.
   * @param {(TextExample | TokenExample)[]} examples
   * @param {{signal?: AbortSignal, onProgress?: (p: TrainProgress) => void}} [options]
   * @returns {Promise<{loss: number, steps: number, epochs: number, examples_per_second: number, seconds: number, feature_seconds: number}>}
   */
  async fit(examples, { signal, onProgress } = {}) {
    if (this.#run) return this.#run.fit(examples, { signal, onProgress });
    const t0 = performance.now();
    throwIfAborted(signal);
    const { X, y, n } = await this.#prepare(examples, 'fit', { signal, onProgress });
    if (n === 0) throw invalid('fit: no labelled words survived tokenization', { field: 'examples' });
    const present = new Set(y);
    if (present.size < 2) {
      throw invalid(`fit: every training example has the label ${JSON.stringify(this.labels[y[0]])}; a classifier needs examples of at least 2 labels`,
        { field: 'label', value: this.labels[y[0]] });
    }
    const p = this.#progress;
    if (p.planned !== null && p.planned !== n) {
      throw invalid(`fit: this run was planned for ${p.planned} training rows, got ${n}; resume with the same examples (or create a new Trainer)`);
    }
    p.planned = n;
    const tFeatures = performance.now();
    const bs = this.batchSize;
    const perEpoch = Math.ceil(n / bs);
    const total = Math.ceil(perEpoch * this.epochs);
    const o = this.optimizer;
    const warmup = o.warmup >= 1 ? Math.round(o.warmup) : Math.ceil(o.warmup * total);
    const D = this.#dim;
    const L = this.labels.length;
    const scratch = { gW: new Float32Array(L * D), gb: new Float32Array(L), logits: new Float32Array(bs * L) };
    let lossSum = 0;
    let lossCount = 0;
    let epochLoss = 0;
    let epochCount = 0;
    let lastReport = performance.now();
    let trained = 0;
    /** @type {Int32Array | null} */
    let order = null;
    let orderEpoch = -1;
    while (p.step < total) {
      throwIfAborted(signal);
      const epoch = Math.floor(p.step / perEpoch);
      const inEpoch = p.step - epoch * perEpoch;
      if (epoch !== orderEpoch) { order = epochOrder(n, this.seed, epoch); orderEpoch = epoch; epochLoss = 0; epochCount = 0; }
      const rows = /** @type {Int32Array} */ (order).subarray(inEpoch * bs, Math.min(n, (inEpoch + 1) * bs));
      const { loss, lr } = headStep(this.#head, X, y, rows, o, { step: p.step, warmup, total, D, L }, scratch);
      if (!Number.isFinite(loss)) {
        throw new BertologyError(`fit: the loss became ${loss} at step ${p.step + 1} (learning rate too high?)`, { code: 'NUMERIC' });
      }
      p.step++;
      trained += rows.length;
      lossSum += loss; lossCount++;
      epochLoss += loss; epochCount++;
      const now = performance.now();
      const endOfEpoch = p.step % perEpoch === 0 || p.step === total;
      if (onProgress && (endOfEpoch || now - lastReport > 100)) {
        onProgress({ phase: 'train', epoch: p.step / perEpoch, step: p.step, total_steps: total, loss: lossSum / lossCount, lr,
          examples_per_second: trained / ((now - t0) / 1000) });
        lossSum = 0; lossCount = 0; lastReport = now;
      }
      if (endOfEpoch || now - lastReport > 50) await yieldNow();
    }
    const seconds = (performance.now() - t0) / 1000;
    return { loss: epochCount ? epochLoss / epochCount : NaN, steps: p.step, epochs: p.step / perEpoch,
      examples_per_second: trained / seconds, seconds, feature_seconds: (tFeatures - t0) / 1000 };
  }

  /**
   * Logits of examples: [rows, labels] with their label ids (the engine's, or the head's on features).
   * @param {(TextExample | TokenExample)[]} examples
   * @param {string} what
   * @param {{signal?: AbortSignal, onProgress?: (p: TrainProgress) => void}} ctx
   */
  async #scores(examples, what, ctx) {
    if (this.#run) return this.#run.rows(examples, what, ctx.signal);
    const { X, y, n } = await this.#prepare(examples, what, ctx);
    const L = this.labels.length;
    const logits = new Float32Array(n * L);
    headLogits(this.#head, X, Int32Array.from({ length: n }, (_, i) => i), logits, this.#dim, L);
    return { y, logits };
  }

  /**
   * Scores examples: text classification → {accuracy, macro_f1, loss, per_label}; token classification
   * → {f1, precision, recall, accuracy (per word), loss} with entity-level F1 as seqeval computes it.
   * @param {(TextExample | TokenExample)[]} examples
   * @param {{signal?: AbortSignal, onProgress?: (p: TrainProgress) => void}} [options]
   */
  async evaluate(examples, { signal, onProgress } = {}) {
    const L = this.labels.length;
    const { y, logits } = await this.#scores(examples, 'evaluate', { signal, onProgress });
    const n = y.length;
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
      const words = this.#run ? firstSubTokens(this.#run.encodingOf(ex), ex.words).map((p) => p.word)
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
    const { logits } = await this.#scores(examples, 'predict', {});
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
    if (this.#run && !this.#run.engine) throw invalid('save: nothing trained yet (call fit() first)');
    return hfFolder({ ckpt: this.#ckpt, kind: this.kind, labels: this.labels, dim: this.#dim, transform: this.#transform, head: this.#head,
      engineTensors: this.#run ? this.#run.tensors('save') : null }, dir);
  }

  /**
   * Everything needed to continue this run later: the head, AdamW's moments, the step, the
   * (possibly fresh) classifier-input transform and the options, as one safetensors file.
   * @returns {Uint8Array}
   */
  checkpoint() {
    const state = { step: this.#progress.step, planned: this.#progress.planned, kind: this.kind, labels: this.labels, pooling: this.pooling,
      train: this.engineSpec, seed: this.seed, batch_size: this.batchSize, epochs: this.epochs, optimizer: this.optimizer, max_length: this.maxLength };
    return writeTrainerCheckpoint(this.#head, this.#transform, this.#run ? this.#run.state() : null, state, this.#dim, this.labels.length);
  }

  /** @param {Uint8Array} bytes */
  #loadCheckpoint(bytes) {
    const { state, get, engineState } = readTrainerCheckpoint(bytes, [['kind', this.kind], ['labels', this.labels], ['pooling', this.pooling],
      ['seed', this.seed], ['batch_size', this.batchSize], ['train', this.engineSpec], ['epochs', this.epochs], ['optimizer', this.optimizer],
      ['max_length', this.maxLength]]);
    const h = this.#head;
    h.W.set(get('W')); h.b.set(get('b')); h.mW.set(get('mW')); h.vW.set(get('vW')); h.mb.set(get('mb')); h.vb.set(get('vb'));
    if (this.#transform) {
      this.#transform.weight.set(get('transform.weight'));
      this.#transform.bias.set(get('transform.bias'));
    }
    this.#progress.step = state.step;
    this.#progress.planned = state.planned;
    if (engineState && this.#run) this.#run.pendingState = engineState;
  }

  /** Releases the feature cache and the engine's trainer (the model stays loaded; dispose it separately). */
  dispose() {
    this.#cache.clear();
    this.#wordsOf.clear();
    this.#run?.dispose();
  }
}
