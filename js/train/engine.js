// Training encoder layers, embeddings or LoRA adapters: the engine's Trainer (src/train/, Embind
// `module.Trainer`, contract in js/engine-contract.js) does forward + backward + AdamW per batch; this
// file turns examples into padded id batches with labels (-100 where the loss ignores a position) and
// reads back logits and the fine-tuned tensors; EngineRun holds one run (the engine's Trainer, the
// encodings, the fit loop).

import { BertologyError, unwrap } from '../errors.js';
import { padEncodings } from '../batch.js';
import { checkExamples, exampleKey, tokenizeExample } from './examples.js';
import { invalid, throwIfAborted, yieldNow } from './options.js';
import { epochOrder } from './optim.js';

/**
 * @param {unknown} result
 * @param {string} operation
 * @returns {any}
 */
export function engineUnwrap(result, operation) {
  return unwrap(/** @type {any} */ (result), operation);
}

/** Whether this runtime's engine can train encoder parameters. @param {any} model */
export function engineCanTrain(model) {
  return typeof model?.runtime?.module?.Trainer === 'function';
}

/**
 * The token positions that carry a word's label: the first sub-token of each word (transformers'
 * label alignment); the words are the text joined by single spaces.
 * @param {import('../model.js').Encoding} enc
 * @param {string[]} words
 * @returns {{token: number, word: number}[]}
 */
export function firstSubTokens(enc, words) {
  const starts = [];
  let pos = 0;
  for (const w of words) { starts.push(pos); pos += w.length + 1; }
  /** @type {{token: number, word: number}[]} */
  const out = [];
  let w = 0;
  let last = -1;
  for (let t = 0; t < enc.ids.length; t++) {
    if (enc.sequence_ids[t] !== 0) continue;
    const s = enc.offsets[2 * t];
    while (w + 1 < words.length && starts[w + 1] <= s) w++;
    if (w === last) continue;
    last = w;
    out.push({ token: t, word: w });
  }
  return out;
}

/**
 * A padded batch for the engine, with labels: [batch] for sequences, [batch, seq] for tokens.
 * @param {import('../model.js').BertologyModel} model
 * @param {import('../model.js').Encoding[]} encodings
 * @param {(number | {token: number, label: number}[])[]} labels per example: a label id, or token labels
 */
export function engineBatch(model, encodings, labels) {
  const info = /** @type {any} */ (model.info);
  const batch = padEncodings(encodings, info.pad_token_id, { side: model.padding_side, padTypeId: info.pad_token_type_id ?? 0 });
  const typeIds = info.type_vocab_size > 0 ? batch.typeIds : null;
  let y;
  if (labels.every((l) => typeof l === 'number')) {
    y = Int32Array.from(/** @type {number[]} */ (labels));
  } else {
    y = new Int32Array(batch.batch * batch.seq).fill(-100);
    labels.forEach((l, b) => {
      const off = model.padding_side === 'left' ? batch.seq - encodings[b].ids.length : 0;
      for (const { token, label } of /** @type {{token: number, label: number}[]} */ (l)) y[b * batch.seq + off + token] = label;
    });
  }
  return { ids: batch.ids, typeIds, mask: batch.mask, batch: batch.batch, seq: batch.seq, labels: y };
}

/**
 * Training encoder layers / LoRA on the engine: the examples' encodings, the engine's Trainer (made at
 * the first fit, when the step count is known), its fit loop and its logits. `progress` ({step,
 * planned}) is the Trainer's, shared so that checkpoint() sees the steps taken here.
 */
export class EngineRun {
  /** @type {any} the engine's Trainer */ engine = null;
  /** @type {Uint8Array | null} engine state from a checkpoint, loaded when the engine trainer is made */ pendingState = null;
  /** @type {Uint8Array | null} the state the current engine was made from */ madeFrom = null;
  /** the optimizer steps the engine was planned for, and taken since it was made */ engineTotal = 0;
  stepsSinceMade = 0;
  /** @type {Map<string, import('../model.js').Encoding>} text → encoding */ #encodings = new Map();

  /**
   * @param {import('../model.js').BertologyModel} model
   * @param {import('./options.js').TrainerSettings} settings
   * @param {number} initializerRange
   * @param {{step: number, planned: number | null}} progress
   */
  constructor(model, settings, initializerRange, progress) {
    this.model = model;
    this.s = settings;
    this.initializerRange = initializerRange;
    this.progress = progress;
  }

  /** @param {import('./data.js').TextExample | import('./data.js').TokenExample} ex */
  encodingOf(ex) {
    return /** @type {import('../model.js').Encoding} */ (this.#encodings.get(exampleKey(this.s.kind, ex)));
  }

  /**
   * Checks and tokenizes examples; returns each one's label (an id, or token labels).
   * @param {unknown} examples
   * @param {string} what
   * @returns {(number | {token: number, label: number}[])[]}
   */
  examples(examples, what) {
    const { labels, kind } = this.s;
    const ids = checkExamples(labels, kind, examples, what);
    return /** @type {any[]} */ (examples).map((ex, i) => {
      const key = exampleKey(kind, ex);
      if (!this.#encodings.has(key)) this.#encodings.set(key, tokenizeExample(this.model, this.s, ex, i, what));
      if (ids) return ids[i];
      const e = /** @type {import('./data.js').TokenExample} */ (ex);
      return firstSubTokens(this.encodingOf(e), e.words).map(({ token, word }) => ({ token, label: labels.indexOf(e.tags[word]) }));
    });
  }

  /** @param {number} total optimizer steps of the run */
  make(total) {
    const o = this.s.optimizer;
    const spec = /** @type {NonNullable<import('./options.js').TrainerSettings['engineSpec']>} */ (this.s.engineSpec);
    const warmup = o.warmup >= 1 ? Math.round(o.warmup) : Math.ceil(o.warmup * total);
    const options = {
      task: this.s.kind, num_labels: this.s.labels.length, layers: spec.layers, embeddings: spec.embeddings, seed: this.s.seed,
      ...(spec.lora ? { lora: spec.lora } : {}), initializer_range: this.initializerRange,
      ...(spec.dropout ? { dropout: spec.dropout } : {}),
      optimizer: { lr: o.lr, weight_decay: o.weight_decay, beta1: o.beta1, beta2: o.beta2, eps: o.eps, warmup_steps: warmup,
        total_steps: total, max_grad_norm: o.max_grad_norm, l2: o.l2, head_lr: o.head_lr ?? 0 },
    };
    const module = /** @type {any} */ (this.model.runtime).module;
    const engine = new module.Trainer(this.model.raw, JSON.stringify(options));
    const err = engine.error();
    if (err) { engine.delete(); engineUnwrap(err, 'Trainer.create'); }
    this.madeFrom = this.pendingState;
    this.stepsSinceMade = 0;
    if (this.pendingState) {
      const r = engine.loadState(this.pendingState);
      if (r) { engine.delete(); engineUnwrap(r, 'Trainer.create (resume)'); }
      this.pendingState = null;
    }
    this.engine = engine;
    this.engineTotal = total;
  }

  /**
   * Logits of every labelled row (examples for sequences, first sub-tokens for tokens).
   * @param {(import('./data.js').TextExample | import('./data.js').TokenExample)[]} examples
   * @param {string} what
   * @param {AbortSignal} [signal]
   */
  async rows(examples, what, signal) {
    const labels = this.examples(examples, what);
    if (!this.engine) this.make(1);
    const L = this.s.labels.length;
    /** @type {number[][]} per example: its rows' logits, flattened */
    const perExample = new Array(examples.length);
    const order = examples.map((_, i) => i).sort((a, b) => this.encodingOf(examples[a]).ids.length - this.encodingOf(examples[b]).ids.length);
    for (let start = 0; start < order.length; start += 32) {
      throwIfAborted(signal);
      const idx = order.slice(start, start + 32);
      const encs = idx.map((i) => this.encodingOf(examples[i]));
      const b = engineBatch(this.model, encs, idx.map((i) => labels[i]));
      const r = engineUnwrap(this.engine.logits(b.ids, b.typeIds, b.mask, b.batch, b.seq), what);
      const z = /** @type {Float32Array} */ (r.logits);
      idx.forEach((i, row) => {
        if (this.s.kind === 'sequence') { perExample[i] = Array.from(z.subarray(row * L, (row + 1) * L)); return; }
        const off = this.model.padding_side === 'left' ? b.seq - encs[row].ids.length : 0;
        perExample[i] = /** @type {{token: number}[]} */ (labels[i]).flatMap(({ token }) =>
          Array.from(z.subarray((row * b.seq + off + token) * L, (row * b.seq + off + token + 1) * L)));
      });
      await yieldNow();
    }
    const y = Int32Array.from(labels.flatMap((l) => (typeof l === 'number' ? [l] : l.map((p) => p.label))));
    return { y, logits: Float32Array.from(perExample.flat()) };
  }

  /**
   * @param {(import('./data.js').TextExample | import('./data.js').TokenExample)[]} examples
   * @param {{signal?: AbortSignal, onProgress?: (p: import('./options.js').TrainProgress) => void}} ctx
   */
  async fit(examples, { signal, onProgress }) {
    const t0 = performance.now();
    throwIfAborted(signal);
    const labels = this.examples(examples, 'fit');
    const flat = labels.flatMap((l) => (typeof l === 'number' ? [l] : l.map((p) => p.label)));
    if (new Set(flat).size < 2) {
      throw invalid(`fit: every training example has the label ${JSON.stringify(this.s.labels[flat[0]])}; a classifier needs examples of at least 2 labels`,
        { field: 'label', value: this.s.labels[flat[0]] });
    }
    const n = examples.length;
    const p = this.progress;
    if (p.planned !== null && p.planned !== n) {
      throw invalid(`fit: this run was planned for ${p.planned} examples, got ${n}; resume with the same examples (or create a new Trainer)`);
    }
    p.planned = n;
    const bs = this.s.batchSize;
    const perEpoch = Math.ceil(n / bs);
    const total = Math.ceil(perEpoch * this.s.epochs);
    // An engine made for another plan that has not stepped since (predict/evaluate before fit make one
    // for 1 step) is made again for this run's schedule, from the same seed or resume state.
    if (this.engine && this.stepsSinceMade === 0 && this.engineTotal !== total) {
      this.engine.delete();
      this.engine = null;
      this.pendingState = this.madeFrom;
    }
    if (!this.engine) this.make(total);
    let lossSum = 0;
    let lossCount = 0;
    let epochLoss = 0;
    let epochCount = 0;
    let trained = 0;
    let lastReport = performance.now();
    /** @type {Int32Array | null} */
    let order = null;
    let orderEpoch = -1;
    while (p.step < total) {
      throwIfAborted(signal);
      const epoch = Math.floor(p.step / perEpoch);
      const inEpoch = p.step - epoch * perEpoch;
      if (epoch !== orderEpoch) { order = epochOrder(n, this.s.seed, epoch); orderEpoch = epoch; epochLoss = 0; epochCount = 0; }
      const rows = Array.from(/** @type {Int32Array} */ (order).subarray(inEpoch * bs, Math.min(n, (inEpoch + 1) * bs)));
      const b = engineBatch(this.model, rows.map((i) => this.encodingOf(examples[i])), rows.map((i) => labels[i]));
      const r = engineUnwrap(this.engine.step(b.ids, b.typeIds, b.mask, b.batch, b.seq, b.labels), 'fit');
      if (!Number.isFinite(r.loss)) {
        throw new BertologyError(`fit: the loss became ${r.loss} at step ${p.step + 1} (learning rate too high?)`, { code: 'NUMERIC' });
      }
      p.step++;
      this.stepsSinceMade++;
      trained += rows.length;
      lossSum += r.loss; lossCount++;
      epochLoss += r.loss; epochCount++;
      const now = performance.now();
      if (onProgress && (p.step % perEpoch === 0 || p.step === total || now - lastReport > 100)) {
        onProgress({ phase: 'train', epoch: p.step / perEpoch, step: p.step, total_steps: total, loss: lossSum / lossCount, lr: r.lr,
          examples_per_second: trained / ((now - t0) / 1000) });
        lossSum = 0; lossCount = 0; lastReport = now;
      }
      await yieldNow();
    }
    const seconds = (performance.now() - t0) / 1000;
    return { loss: epochCount ? epochLoss / epochCount : NaN, steps: p.step, epochs: p.step / perEpoch,
      examples_per_second: trained / seconds, seconds, feature_seconds: 0 };
  }

  /** The whole model in Hugging Face names (LoRA merged). @param {string} what */
  tensors(what) { return engineUnwrap(this.engine.tensors('all'), what); }

  /** The engine's resume state (or the one waiting to be loaded). @returns {Uint8Array | null} */
  state() { return this.engine ? engineUnwrap(this.engine.state(), 'checkpoint') : this.pendingState; }

  /** Drops the engine trainer (a fresh one is made at the next fit). */
  reset() {
    if (this.engine) { this.engine.delete(); this.engine = null; }
    this.pendingState = null;
  }

  dispose() {
    this.reset();
    this.#encodings.clear();
  }
}
