// What every task pipeline shares: the callable base class, input checks, batched forward passes
// (sorted by length) and the optional attentions / hidden states of a call.

import { BertologyError, check } from '../errors.js';
import { explain } from '../explain/index.js';
import { checkTextCount } from '../limits.js';
import { env } from '../sources/env.js';
import { idsInputs } from '../batch.js';

/**
 * @typedef {object} OutputOptions
 * @property {boolean} [output_attentions] also return `attentions` [layers, batch, heads, seq, seq]
 * @property {boolean} [output_hidden_states] also return `hidden_states` [layers + 1, batch, seq, hidden]
 * @property {number} [batch_size] inputs per forward pass (default 32; one pass when outputs are requested)
 */

/**
 * Ids the caller already has, for models without a tokenizer (rows padded by attention_mask).
 * @typedef {{input_ids: import('../batch.js').IdsLike, attention_mask?: import('../batch.js').IdsLike | null,
 *   token_type_ids?: import('../batch.js').IdsLike | null}} IdsInput
 */

/**
 * Makes instances callable: `new X()` returns a function whose prototype is X's (transformers.js's trick).
 */
class Callable {
  constructor() {
    const closure = /** @type {any} */ (function call(/** @type {any[]} */ ...args) { return closure._run(args); });
    return Object.setPrototypeOf(closure, new.target.prototype);
  }

  /** @param {any[]} args @returns {Promise<any>} */
  async _run(args) { return this._call(...args); }

  /** @param {...any} _args @returns {Promise<any>} */
  async _call(..._args) { throw new Error('not implemented'); }
}

// Keep Function.prototype in the chain so pipelines still have call/apply/bind.
Object.setPrototypeOf(Callable.prototype, Function.prototype);

/** Keys every pipeline accepts at call time (progress_callback: per call only, see `forwardBatched`). */
export const OUTPUT_KEYS = ['output_attentions', 'output_hidden_states', 'batch_size', 'progress_callback'];

export class Pipeline extends Callable {
  /** Call options this task accepts (also as defaults in `pipeline(task, model, options)`). */
  static OPTIONS = /** @type {string[]} */ ([]);

  /**
   * @param {{task: string, model: import('../model.js').BertologyModel, tokenizer: import('../tokenizer.js').Tokenizer | null,
   *   owned: boolean, defaults?: Record<string, any>}} init
   */
  constructor({ task, model, tokenizer, owned, defaults = {} }) {
    super();
    /** The task name (aliases resolved). */
    this.task = task;
    /** @type {import('../model.js').BertologyModel} */
    this.model = model;
    /** The model's tokenizer, or null when it was loaded without tokenizer files. */
    this.tokenizer = tokenizer;
    this.owned = owned;
    this.disposed = false;
    const known = this.optionNames;
    /** Call options given to pipeline() that apply to every call (not its load progress_callback). */
    this.defaults = Object.fromEntries(Object.entries(defaults).filter(([k]) => known.includes(k) && k !== 'progress_callback'));
  }

  /**
   * Every call: the number of inputs is checked against limits.max_texts before any work
   * (an array in the first or second argument: texts, {question, context} items, questions or contexts).
   * @param {any[]} args
   */
  async _run(args) {
    if (this.disposed) throw new BertologyError(`${this.task}: pipeline used after dispose()`, { code: 'DISPOSED' });
    const counts = this.inputCounts(args);
    if (counts.length) checkTextCount(Math.max(...counts), this.model.limits, this.task);
    return this._call(...args);
  }

  /**
   * The sizes of a call's input arrays that limits.max_texts bounds (arrays in the first two arguments).
   * @param {any[]} args
   * @returns {number[]}
   */
  inputCounts(args) {
    return args.slice(0, 2).filter(Array.isArray).map((a) => a.length);
  }

  /** @returns {string[]} */
  get optionNames() {
    return [...OUTPUT_KEYS, .../** @type {typeof Pipeline} */ (this.constructor).OPTIONS];
  }

  /**
   * Merges call options over the pipeline's defaults; rejects unknown keys.
   * @param {any} options
   * @returns {Record<string, any>}
   */
  options(options) {
    if (this.disposed) throw new BertologyError(`${this.task}: pipeline used after dispose()`, { code: 'DISPOSED' });
    if (options == null) return { ...this.defaults };
    check(typeof options === 'object' && !Array.isArray(options), `${this.task}: options must be an object`);
    const known = this.optionNames;
    for (const k of Object.keys(options)) {
      check(known.includes(k), `${this.task}: unknown option "${k}" (known: ${known.join(', ')})`);
    }
    const merged = { ...this.defaults, ...options };
    if (merged.batch_size !== undefined) {
      check(Number.isInteger(merged.batch_size) && merged.batch_size > 0, `${this.task}: batch_size must be a positive integer`);
    }
    check(merged.progress_callback == null || typeof merged.progress_callback === 'function',
      `${this.task}: progress_callback must be a function`);
    merged.task = this.task;
    return merged;
  }

  /** Throws unless the model has a tokenizer (text inputs). */
  requireTokenizer() {
    if (!this.tokenizer) {
      throw new BertologyError(`${this.task}: this model was loaded without tokenizer files (tokenizer.json); `
        + 'pass token ids as {input_ids, attention_mask} instead of text', { code: 'INVALID_ARGUMENT' });
    }
    return this.tokenizer;
  }

  /**
   * Explains this pipeline's prediction for `inputs` (see js/explain/index.js): per-token and
   * per-word signed attributions with JS string offsets, e.g. {method: 'integrated_gradients', steps: 32}.
   * @param {any} inputs @param {Record<string, any>} [options]
   */
  async explain(inputs, options = {}) {
    if (this.disposed) throw new BertologyError(`${this.task}: pipeline used after dispose()`, { code: 'DISPOSED' });
    return explain(this.model, this.task, inputs, options);
  }

  /** Frees the model (if the pipeline loaded it). Safe to call twice. */
  async dispose() {
    if (this.owned) this.model.dispose();
    this.disposed = true;
  }
}

/**
 * @param {any} x
 * @returns {x is IdsInput}
 */
export function isIdsInput(x) {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && 'input_ids' in x;
}

/**
 * Normalizes `string | string[]` inputs; throws on anything else and on an empty batch.
 * @param {any} inputs
 * @param {string} task
 * @returns {{texts: string[], single: boolean}}
 */
export function textInputs(inputs, task) {
  if (typeof inputs === 'string') return { texts: [inputs], single: true };
  check(Array.isArray(inputs), `${task}: expected a string or an array of strings, got ${describe(inputs)}`);
  check(inputs.length > 0, `${task}: empty batch (an empty array of inputs)`);
  inputs.forEach((t, i) => check(typeof t === 'string', `${task}: input ${i} must be a string, got ${describe(t)}`));
  return { texts: inputs, single: false };
}

/** @param {any} x */
export function describe(x) {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? `an object (${x.constructor?.name ?? 'Object'})` : typeof x;
}

/**
 * Lets the event loop run (pending messages, rendering, other promises): scheduler.yield() where
 * browsers have it, setImmediate in Node, else a zero-delay timer.
 * @returns {Promise<void>}
 */
export function yieldToEventLoop() {
  const scheduler = /** @type {any} */ (globalThis).scheduler;
  if (scheduler && typeof scheduler.yield === 'function') return scheduler.yield();
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Progress of a long call: `tick(n)` after each forward pass emits
 * {status: 'inference', task, unit, done, total} to the call's progress_callback and, every
 * env.yieldInterval ms (default 50), awaits the event loop — so a page or a worker stays responsive (a worker can
 * post the progress events and take other messages) while the call runs.
 */
export class CallProgress {
  /**
   * @param {((event: any) => void) | undefined} callback
   * @param {string} task
   * @param {string} unit what `done` and `total` count ('texts', 'windows')
   * @param {number} total
   */
  constructor(callback, task, unit, total) {
    this.callback = callback;
    this.event = { status: 'inference', task, unit, done: 0, total };
    this.last = now();
  }

  /** @param {number} n items just finished */
  async tick(n) {
    this.event.done += n;
    if (this.callback) this.callback({ ...this.event });
    if (this.event.done < this.event.total && now() - this.last >= env.yieldInterval) {
      await yieldToEventLoop();
      this.last = now();
    }
  }
}

function now() {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Runs the model over encodings, `batch_size` at a time sorted by length (padding stays small),
 * calling `onRow(inputIndex, output, rowInOutput)`. When attentions or hidden states are requested,
 * everything runs as one batch in input order and those tensors are returned. Between batches the
 * call reports progress (`progress_callback`) and yields to the event loop (CallProgress).
 * @param {import('../model.js').BertologyModel} model
 * @param {import('../model.js').Encoding[]} encodings
 * @param {OutputOptions & {batch_size?: number, logits_for_token_ids?: number[] | null, output_last_hidden_state?: boolean,
 *   progress_callback?: (event: any) => void, task?: string, unit?: string}} options
 *   (output_last_hidden_state: default false — only feature extraction reads it)
 * @param {(index: number, out: import('../model.js').ForwardOutput, row: number) => void} onRow
 * @returns {Promise<Extras>}
 */
export async function forwardBatched(model, encodings, { batch_size = 32, output_attentions = false, output_hidden_states = false,
  logits_for_token_ids = null, output_last_hidden_state = false, progress_callback, task = 'forward', unit = 'texts' }, onRow) {
  const progress = new CallProgress(progress_callback, task, unit, encodings.length);
  // Progressive loading: the word-embedding rows of every input, fetched at once (one round of requests).
  if (model.weightsPending > 0) await model.ensureWeights(encodings.map((e) => e.ids));
  if (output_attentions || output_hidden_states) {
    const out = model.forwardEncodings(encodings,
      { output_attentions, output_hidden_states, logits_for_token_ids, output_last_hidden_state });
    encodings.forEach((_, i) => onRow(i, out, i));
    await progress.tick(encodings.length);
    return extrasOf(out, { output_attentions, output_hidden_states });
  }
  const order = encodings.map((_, i) => i).sort((a, b) => encodings[a].ids.length - encodings[b].ids.length);
  for (let start = 0; start < order.length; start += batch_size) {
    const idx = order.slice(start, start + batch_size);
    const out = model.forwardEncodings(idx.map((i) => encodings[i]), { logits_for_token_ids, output_last_hidden_state });
    idx.forEach((i, b) => onRow(i, out, b));
    await progress.tick(idx.length);
  }
  return {};
}

/**
 * Progressive loading: makes the word-embedding rows of caller-provided ids present (forwardIds is
 * synchronous; call this first). Invalid ids are left for the forward pass to report.
 * @param {import('../model.js').BertologyModel} model
 * @param {IdsInput} inputs
 */
export async function ensureIdsWeights(model, inputs) {
  if (!(model.weightsPending > 0)) return;
  let ids;
  try {
    ids = idsInputs(inputs, model.info).ids;
  } catch {
    return; // forward reports it
  }
  await model.ensureWeights(ids);
}

/**
 * Runs the model on caller-provided ids (one pass), calling `onRow(row, output, row)`.
 * @param {import('../model.js').BertologyModel} model
 * @param {IdsInput} inputs
 * @param {OutputOptions & {logits_for_token_ids?: number[] | null, output_last_hidden_state?: boolean}} options
 * @param {(index: number, out: import('../model.js').ForwardOutput, row: number) => void} onRow
 * @returns {{extras: Extras, out: import('../model.js').ForwardOutput}}
 */
export function forwardIds(model, inputs, { output_attentions = false, output_hidden_states = false, logits_for_token_ids = null,
  output_last_hidden_state = false }, onRow) {
  const out = model.forward(inputs, { output_attentions, output_hidden_states, logits_for_token_ids, output_last_hidden_state });
  const rows = out.input_ids.dims[0];
  check(rows > 0, 'forward: empty batch (input_ids has no rows)');
  for (let b = 0; b < rows; b++) onRow(b, out, b);
  return { extras: extrasOf(out, { output_attentions, output_hidden_states }), out };
}

/** @typedef {{attentions?: import('../tensor.js').Tensor, hidden_states?: import('../tensor.js').Tensor}} Extras */

/**
 * @param {import('../model.js').ForwardOutput} out
 * @param {OutputOptions} options
 * @returns {Extras}
 */
function extrasOf(out, { output_attentions, output_hidden_states }) {
  /** @type {Extras} */
  const extras = {};
  if (output_attentions) extras.attentions = out.attentions;
  if (output_hidden_states) extras.hidden_states = out.hidden_states;
  return extras;
}

/**
 * Adds `attentions` / `hidden_states` (when requested) to a pipeline's result.
 * @template {object} T
 * @param {T} result
 * @param {Extras} extras
 * @returns {T}
 */
export function withExtras(result, extras) {
  return Object.keys(extras).length ? Object.assign(result, extras) : result;
}

/**
 * Offsets of token `i` in code points of its text (what Hugging Face's offset_mapping holds).
 * @param {import('../model.js').Encoding} e
 * @param {number} i
 * @returns {[number, number]}
 */
export function codePointSpan(e, i) {
  return [e.codepoint_offsets[2 * i], e.codepoint_offsets[2 * i + 1]];
}

/**
 * Where batch row `b`'s tokens start: after its left padding (XLNet's tokenizer pads on the left, so a
 * row's first token sits at seq − length), else 0. Read from the attention mask, so ids given by the
 * caller are handled too.
 * @param {{input_ids: {dims: number[]}, attention_mask: {data: ArrayLike<number>}}} out
 * @param {number} b
 * @returns {number}
 */
export function rowStart(out, b) {
  const seq = out.input_ids.dims[1], mask = out.attention_mask.data;
  let t = 0;
  while (t < seq && !mask[b * seq + t]) t++;
  return t === seq ? 0 : t;
}

/**
 * Softmax of `x[start, start + n)` in float32 steps as numpy does (max-shifted exp, then divide).
 * @param {ArrayLike<number>} x
 * @param {number} start
 * @param {number} n
 * @returns {Float64Array}
 */
export function softmaxRow(x, start, n) {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[start + i] > max) max = x[start + i];
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (out[i] = Math.exp(x[start + i] - max));
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}
