// Trainer options: their types, the defaults per training mode, and the checks that turn a caller's
// options into a trainer's settings (every mistake is an INVALID_ARGUMENT naming the field).

import { BertologyError, check } from '../errors.js';
import { engineCanTrain } from './engine.js';

/**
 * @typedef {object} TrainerOptions
 * @property {'text-classification' | 'sentiment-analysis' | 'token-classification' | 'ner'} [task] default 'text-classification'
 * @property {string[]} labels the label names, in id order (id2label)
 * @property {{layers?: number | 'all', lora?: {r: number, alpha?: number, dropout?: number, target_modules?: string[]} | null,
 *   embeddings?: boolean, dropout?: boolean | {hidden?: number, attention?: number, classifier?: number}}} [train]
 *   what is trained besides the head: `layers` 0 (default: the head only, on cached frozen features);
 *   `lora.target_modules` as PEFT names them (default ['query', 'value']: BERT's; 'key', 'dense' … add more);
 *   `dropout` in the training forward as Hugging Face's train mode: true = the checkpoint config's
 *   hidden_dropout_prob, attention_probs_dropout_prob and classifier dropout, an object = those rates,
 *   false = none (default: MODE_DEFAULTS)
 * @property {'cls' | 'mean'} [pooling] text classification, head only: 'cls' (default) trains the model
 *   class's own classifier on its input (BERT: the pooler's output), so the result saves as a Hugging Face
 *   *ForSequenceClassification; 'mean' trains a linear probe on the mask-aware mean of the last hidden
 *   state (evaluate/predict work; it has no Hugging Face class, so save() refuses it)
 * @property {{lr?: number, weight_decay?: number, warmup?: number, beta1?: number, beta2?: number, eps?: number,
 *   max_grad_norm?: number, l2?: number, head_lr?: number}} [optimizer] AdamW; `warmup` in steps (≥ 1) or as a fraction of
 *   all steps (< 1); `l2`: λ of an L2 penalty λ/2·‖W‖² added to the mean loss (scikit-learn's C = 1 / (λ·n));
 *   `head_lr` (engine modes): the task head's peak learning rate (0: lr), on the same schedule
 * @property {number} [batch_size] default: MODE_DEFAULTS of the mode
 * @property {number} [epochs] default: MODE_DEFAULTS of the mode
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

/**
 * @typedef {object} TrainerSettings the checked options with every default filled in
 * @property {'sequence' | 'token'} kind
 * @property {string[]} labels
 * @property {EngineSpec | null} engineSpec
 *   null: head only (JS, cached features); else what the engine trains (layers -1 = all)
 * @property {'cls' | 'mean'} pooling
 * @property {OptimizerSettings} optimizer
 * @property {number} batchSize
 * @property {number} epochs
 * @property {number} maxLength
 * @property {boolean} truncation
 * @property {number} seed
 */

/**
 * The checked optimizer options, every default filled in (head_lr only when given).
 * @typedef {Required<Omit<NonNullable<TrainerOptions['optimizer']>, 'head_lr'>> & {head_lr?: number}} OptimizerSettings
 */

/**
 * @typedef {object} EngineSpec what the engine trains
 * @property {number} layers the last N layers, -1 = all
 * @property {boolean} embeddings
 * @property {{r: number, alpha: number, target_modules?: string[]} | null} lora
 * @property {{hidden: number, attention: number, classifier: number}} [dropout] training-forward dropout rates (absent: none)
 */

export const TASKS = /** @type {Record<string, 'sequence' | 'token'>} */ ({
  'text-classification': 'sequence', 'sentiment-analysis': 'sequence', sequence: 'sequence',
  'token-classification': 'token', ner: 'token', token: 'token',
});
export const OPTION_KEYS = ['task', 'labels', 'train', 'pooling', 'optimizer', 'batch_size', 'epochs', 'max_length', 'truncation', 'seed', 'resume'];
export const OPTIMIZER_KEYS = ['lr', 'weight_decay', 'warmup', 'beta1', 'beta2', 'eps', 'max_grad_norm', 'l2', 'head_lr'];
const ADAMW = { weight_decay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, max_grad_norm: 1, l2: 0 };  // head_lr: only when given

/**
 * The defaults of each training mode (bench/train.md, "Tuning": bert-mini-mlm on 2,000 SST-2 sentences,
 * chosen on a held-out slice of SST-2 train, never on dev). Options the caller gives replace them.
 * `head`: a linear head on cached features (convex; cheap epochs); `lora`: adapters r/alpha on query and
 * value + the head; `layers`: the last N layers (or all) + the head.
 */
export const MODE_DEFAULTS = Object.freeze({
  head: Object.freeze({ lr: 1e-3, warmup: 0, epochs: 3, batch_size: 32, dropout: false }),
  lora: Object.freeze({ lr: 5e-4, warmup: 0.06, epochs: 3, batch_size: 16, dropout: false }),
  layers: Object.freeze({ lr: 3e-4, warmup: 0.06, epochs: 3, batch_size: 16, dropout: false }),
});

/**
 * The mode whose defaults apply: 'head', 'lora' or 'layers'.
 * @param {{layers: number, embeddings: boolean, lora: {r: number, alpha: number} | null} | null} spec
 */
export function modeOf(spec) {
  return spec === null ? 'head' : spec.lora ? 'lora' : 'layers';
}

/**
 * @param {string} message
 * @param {Record<string, unknown>} [facts] extra fields (field, index, value, limit)
 * @returns {BertologyError}
 */
export function invalid(message, facts = {}) {
  const e = new BertologyError(message, { code: 'INVALID_ARGUMENT' });
  Object.assign(e, facts);
  return e;
}

/** @param {AbortSignal | undefined} signal */
export function throwIfAborted(signal) {
  if (signal?.aborted) {
    const e = new BertologyError('training cancelled (signal aborted)', { code: 'ABORTED', cause: signal.reason });
    e.name = 'AbortError';
    throw e;
  }
}

/** Lets the event loop run (progress, cancellation, UI). */
export const yieldNow = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * @param {unknown} v
 * @param {string} field
 * @param {{min?: number, max?: number, integer?: boolean, open?: boolean}} [range]
 */
export function numberOption(v, field, { min = -Infinity, max = Infinity, integer = false, open = false } = {}) {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max || (open && v === min)) {
    const want = `${integer ? 'an integer' : 'a finite number'}${Number.isFinite(min) ? ` ${open ? '>' : '>='} ${min}` : ''}${Number.isFinite(max) ? ` and <= ${max}` : ''}`;
    throw invalid(`Trainer: ${field} must be ${want}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`, { field, value: v });
  }
  return v;
}

/**
 * Checks optimizer entries (unknown keys, ranges) on top of `base`; returns the merged optimizer.
 * @param {unknown} opt
 * @param {OptimizerSettings} base
 * @param {string} what 'Trainer.create' or 'reset'
 */
export function checkOptimizer(opt, base, what) {
  check(typeof opt === 'object' && opt !== null, `${what}: optimizer must be an object`);
  for (const key of Object.keys(/** @type {object} */ (opt))) {
    if (!OPTIMIZER_KEYS.includes(key)) throw invalid(`${what}: unknown optimizer option "${key}"; known: ${OPTIMIZER_KEYS.join(', ')}`, { field: `optimizer.${key}` });
  }
  const o = { ...base, .../** @type {object} */ (opt) };
  numberOption(o.lr, 'optimizer.lr', { min: 0, open: true });
  numberOption(o.weight_decay, 'optimizer.weight_decay', { min: 0 });
  numberOption(o.warmup, 'optimizer.warmup', { min: 0 });
  numberOption(o.beta1, 'optimizer.beta1', { min: 0, max: 0.999999 });
  numberOption(o.beta2, 'optimizer.beta2', { min: 0, max: 0.999999999 });
  numberOption(o.eps, 'optimizer.eps', { min: 0 });
  numberOption(o.max_grad_norm, 'optimizer.max_grad_norm', { min: 0 });
  numberOption(o.l2, 'optimizer.l2', { min: 0 });
  if (o.head_lr !== undefined) numberOption(o.head_lr, 'optimizer.head_lr', { min: 0, max: 10 });
  return o;
}

/**
 * The training forward's dropout rates: `true` takes them from config.json as Hugging Face's models do
 * (hidden: hidden_dropout_prob, DistilBERT's dropout; attention: attention_probs_dropout_prob,
 * DistilBERT's attention_dropout; classifier: classifier_dropout, ALBERT's classifier_dropout_prob,
 * DistilBERT's seq_classif_dropout for sequences, else the hidden rate).
 * @param {unknown} d true | false | 0 | {hidden, attention, classifier}
 * @param {Record<string, any>} config
 * @param {'sequence' | 'token'} kind
 * @returns {{hidden: number, attention: number, classifier: number} | null}
 */
export function dropoutRates(d, config, kind) {
  if (d === false || d === 0 || d === null) return null;
  /** @param {unknown} v */
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  let rates;
  if (d === true) {
    const hidden = num(config.hidden_dropout_prob) ?? num(config.dropout) ?? 0;
    const attention = num(config.attention_probs_dropout_prob) ?? num(config.attention_dropout) ?? 0;
    const classifier = num(config.classifier_dropout) ?? num(config.classifier_dropout_prob)
      ?? (kind === 'sequence' ? num(config.seq_classif_dropout) : undefined) ?? hidden;
    rates = { hidden, attention, classifier };
  } else {
    check(typeof d === 'object', `Trainer.create: train.dropout must be true, false or {hidden, attention, classifier}, got ${JSON.stringify(d)}`);
    const o = /** @type {Record<string, unknown>} */ (d);
    for (const key of Object.keys(o)) {
      if (!['hidden', 'attention', 'classifier'].includes(key)) {
        throw invalid(`Trainer.create: unknown train.dropout option "${key}"; known: hidden, attention, classifier`, { field: `train.dropout.${key}` });
      }
    }
    /** @param {string} k @param {number} fallback */
    const rate = (k, fallback) => (o[k] === undefined ? fallback : numberOption(o[k], `train.dropout.${k}`, { min: 0, max: 0.99 }));
    const hidden = rate('hidden', 0);
    rates = { hidden, attention: rate('attention', 0), classifier: rate('classifier', hidden) };
  }
  for (const [k, v] of Object.entries(rates)) numberOption(v, `train.dropout.${k} (from config.json)`, { min: 0, max: 0.99 });
  return rates.hidden > 0 || rates.attention > 0 || rates.classifier > 0 ? rates : null;
}

/**
 * Trainer.create's checks: the caller's options → settings with the mode's defaults.
 * @param {import('../model.js').BertologyModel} model
 * @param {TrainerOptions} options
 * @returns {TrainerSettings}
 */
export function trainerSettings(model, options) {
  check(options && typeof options === 'object', 'Trainer.create: options must be an object with at least {labels}');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw invalid(`Trainer.create: unknown option "${key}"; known: ${OPTION_KEYS.join(', ')}`, { field: key });
  }
  const kind = TASKS[options.task ?? 'text-classification'];
  if (!kind) throw invalid(`Trainer.create: task must be text-classification or token-classification, got ${JSON.stringify(options.task)}`, { field: 'task' });
  const { labels } = options;
  if (!Array.isArray(labels) || labels.length < 2) {
    throw invalid(`Trainer.create: labels must list at least 2 label names, got ${JSON.stringify(labels)}`, { field: 'labels' });
  }
  if (!labels.every((l) => typeof l === 'string' && l.length > 0)) throw invalid('Trainer.create: every label must be a non-empty string', { field: 'labels' });
  if (new Set(labels).size !== labels.length) throw invalid(`Trainer.create: labels repeat a name: ${JSON.stringify(labels)}`, { field: 'labels' });

  const train = options.train ?? {};
  check(typeof train === 'object', 'Trainer.create: train must be an object {layers, lora, embeddings}');
  const layers = train.layers ?? 0;
  if (!(layers === 'all' || (Number.isInteger(layers) && layers >= 0))) {
    throw invalid(`Trainer.create: train.layers must be 0 (head only), a number of layers or 'all', got ${JSON.stringify(layers)}`, { field: 'train.layers' });
  }
  /** @type {TrainerSettings['engineSpec']} */
  let engineSpec = null;
  if (layers !== 0 || train.lora || train.embeddings) {
    if (!engineCanTrain(model)) {
      throw new BertologyError('Trainer.create: training encoder layers, embeddings or LoRA adapters needs the engine\'s training '
        + 'bindings, which this build does not have yet; train.layers 0 (head only) is available', { code: 'UNSUPPORTED' });
    }
    const lora = train.lora ?? null;
    if (lora !== null) {
      check(typeof lora === 'object', 'Trainer.create: train.lora must be {r, alpha, target_modules} or null');
      for (const key of Object.keys(lora)) {
        if (!['r', 'alpha', 'dropout', 'target_modules'].includes(key)) throw invalid(`Trainer.create: unknown train.lora option "${key}"; known: r, alpha, dropout, target_modules`, { field: `train.lora.${key}` });
      }
      numberOption(lora.r, 'train.lora.r', { min: 1, max: 1024, integer: true });
      if (lora.alpha !== undefined) numberOption(lora.alpha, 'train.lora.alpha', { min: 0, open: true });
      // PEFT's lora_dropout acts on the adapter's input only, which needs the unmerged adapter path; the
      // engine runs the merged weight, so only 0 (PEFT's default) is accepted.
      if (lora.dropout !== undefined && lora.dropout !== 0) {
        throw new BertologyError(`Trainer.create: train.lora.dropout ${JSON.stringify(lora.dropout)} is not supported (only 0, PEFT's default): `
          + 'the engine trains the merged weight; train.dropout gives the model\'s own dropout', { code: 'UNSUPPORTED' });
      }
      const targets = lora.target_modules;
      if (targets !== undefined && !(Array.isArray(targets) && targets.length > 0 && targets.every((t) => typeof t === 'string' && t.length > 0))) {
        throw invalid(`Trainer.create: train.lora.target_modules must be a non-empty array of module names (PEFT's), got ${JSON.stringify(targets)}`, { field: 'train.lora.target_modules' });
      }
    }
    engineSpec = { layers: layers === 'all' ? -1 : /** @type {number} */ (layers), embeddings: Boolean(train.embeddings),
      lora: lora ? { r: lora.r, alpha: lora.alpha ?? lora.r, ...(lora.target_modules ? { target_modules: [...lora.target_modules] } : {}) } : null,
    };
    if (options.pooling !== undefined && options.pooling !== 'cls') throw invalid('Trainer.create: pooling \'mean\' is for head-only training', { field: 'pooling' });
  }
  const pooling = options.pooling ?? 'cls';
  if (!['cls', 'mean'].includes(pooling)) throw invalid(`Trainer.create: pooling must be 'cls' or 'mean', got ${JSON.stringify(pooling)}`, { field: 'pooling' });
  if (kind === 'token' && options.pooling !== undefined) throw invalid('Trainer.create: pooling applies to text classification only', { field: 'pooling' });

  const defaults = MODE_DEFAULTS[modeOf(engineSpec)];
  const dropout = engineSpec ? dropoutRates(train.dropout ?? defaults.dropout, model.config ?? {}, kind) : null;
  if (engineSpec && dropout) engineSpec.dropout = dropout;  // absent when off (checkpoints of older runs still match)
  else if (train.dropout) throw invalid('Trainer.create: train.dropout applies to the engine modes (layers, lora); head-only training runs on cached features', { field: 'train.dropout' });
  const optimizer = checkOptimizer(options.optimizer ?? {}, { ...ADAMW, lr: defaults.lr, warmup: defaults.warmup }, 'Trainer.create');
  if (!engineSpec && (optimizer.head_lr ?? 0) > 0) throw invalid('Trainer.create: optimizer.head_lr is for the engine modes (layers, lora); head only trains at lr', { field: 'optimizer.head_lr' });
  return {
    kind, labels: [...labels], engineSpec, pooling, optimizer,
    batchSize: numberOption(options.batch_size ?? defaults.batch_size, 'batch_size', { min: 1, max: 65536, integer: true }),
    epochs: numberOption(options.epochs ?? defaults.epochs, 'epochs', { min: 0, open: true }),
    maxLength: numberOption(options.max_length ?? model.maxLength, 'max_length', { min: 3, max: model.maxLength, integer: true }),
    truncation: Boolean(options.truncation),
    seed: numberOption(options.seed ?? 42, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true }),
  };
}
