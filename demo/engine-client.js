// The demo's only contact with the package: the engine runs in a Web Worker (js/worker.js, driven by
// js/worker-client.js) so the page never freezes. Tasks go through the package's pipelines
// (js/pipeline.js) with `output_attentions: true`, so a result and its attention come from the
// same inference pass. Tokens and offsets for the attention views come from the model's tokenizer
// (the same call the pipelines make). Explanations are the pipelines' `explain()` (js/explain),
// called in the worker through the remote pipeline's `invoke('explain', ...)`.

import { createWorkerClient } from '/js/worker-client.js';

/**
 * @typedef {object} Attention one input's attention: data is [layers, heads, seq, seq]
 * @property {Float32Array} data
 * @property {number} layers
 * @property {number} heads
 * @property {number} seq
 * @property {string[]} tokens
 * @property {number[]} offsets [start, end) per token into `text` (UTF-16; -1 for specials), 2 per token
 * @property {string[]} texts what the offsets index, by sequence id (a pair: [question, context])
 * @property {number[]} sequenceIds per token: 0, 1, or -1 (special)
 * @property {number[]} wordIds per token: the word's index within its sequence, or -1 (special)
 * @property {string} model
 */

/** @param {any} t a {data, dims} tensor or a nested array */
function tensorOf(t) {
  if (t && t.data && t.dims) return { data: Float32Array.from(t.data), dims: Array.from(t.dims) };
  return null;
}

/**
 * Attention for batch row `row` of a [layers, batch, heads, seq, seq] (or [layers, heads, seq, seq]) tensor.
 * @param {any} attentions
 * @param {any} encoding
 * @param {{model: string, texts: string[], row?: number}} meta
 * @returns {Attention | null}
 */
export function attentionOf(attentions, encoding, { model, texts, row = 0 }) {
  const t = tensorOf(attentions);
  if (!t || !encoding) return null;
  const dims = t.dims.length === 5 ? t.dims : [t.dims[0], 1, ...t.dims.slice(1)];
  const [layers, batch, heads, full] = dims;
  const seq = encoding.tokens.length;
  const data = new Float32Array(layers * heads * seq * seq);
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seq; i++) {
        const src = ((((l * batch) + row) * heads + h) * full + i) * full;
        data.set(t.data.subarray(src, src + seq), ((l * heads + h) * seq + i) * seq);
      }
    }
  }
  return {
    data, layers, heads, seq, tokens: Array.from(encoding.tokens), offsets: Array.from(encoding.offsets),
    sequenceIds: Array.from(encoding.sequence_ids ?? encoding.tokens.map(() => 0)), texts, model,
    wordIds: Array.from(encoding.word_ids ?? encoding.tokens.map(() => -1)),
    truncated: Boolean(encoding.truncated),
  };
}

/** Whether window encoding `w` holds the context span of `answer`. @param {any} w @param {any} answer */
function covers(w, answer) {
  if (!answer || !(answer.end > answer.start)) return false;
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < w.tokens.length; k++) {
    if (w.sequence_ids[k] !== 1) continue;
    lo = Math.min(lo, w.offsets[2 * k]);
    hi = Math.max(hi, w.offsets[2 * k + 1]);
  }
  return lo <= answer.start && answer.end <= hi;
}

export class Engine {
  /** @param {{workerUrl?: string, onProgress?: (p: {model: string, fraction: number | null, stage: string}) => void}} [options] */
  constructor({ workerUrl = '/js/worker.js', onProgress } = {}) {
    this.client = createWorkerClient(new Worker(workerUrl, { type: 'module' }));
    this.onProgress = onProgress ?? (() => {});
    /** @type {Map<string, Promise<any>>} source → RemoteModel */
    this.models = new Map();
    /** @type {Map<string, Promise<any>>} `${task}\n${source}` → pipeline function */
    this.pipelines = new Map();
    /** @type {any} the runtime of the last loaded model */
    this.runtime = null;
  }

  /** The models the server offers. */
  async catalog() {
    const r = await fetch('/demo/models.json');
    if (!r.ok) throw new Error(`models.json: HTTP ${r.status}`);
    return r.json();
  }

  /**
   * Loads a model once (a /models/ URL, another URL, or a Hugging Face id), reporting progress.
   * @param {string} source
   */
  load(source) {
    let p = this.models.get(source);
    if (!p) {
      const files = new Map();
      const report = (/** @type {any} */ e) => {
        if (e?.status === 'progress' && e.file) files.set(e.file, [e.loaded ?? 0, e.total ?? 0]);
        let loaded = 0;
        let total = 0;
        for (const [a, b] of files.values()) { loaded += a; total += b; }
        const stage = e?.status === 'ready' ? 'ready' : e?.status === 'done' && loaded >= total ? 'initialising' : 'downloading';
        this.onProgress({ model: source, fraction: total > 0 ? loaded / total : null, stage });
      };
      this.onProgress({ model: source, fraction: 0, stage: 'starting' });
      // sentence_transformers: the Search tab embeds sentence-transformers models with their own modules.
      p = this.client.load(source, { progress_callback: report, sentence_transformers: true }).then((m) => {
        this.runtime = m.runtime;
        this.onProgress({ model: source, fraction: 1, stage: 'ready' });
        return m;
      }, (e) => {
        this.models.delete(source);
        this.onProgress({ model: source, fraction: null, stage: 'failed' });
        throw e;
      });
      this.models.set(source, p);
    }
    return p;
  }

  /** @param {string} task @param {string} source */
  async pipelineFor(task, source) {
    const key = `${task}\n${source}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.load(source).then((model) => this.client.pipeline(task, model));
      this.pipelines.set(key, p);
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  /**
   * Runs `task` on `input` with model `source`; returns the result, the attention of the same
   * forward pass, the latency (round trip to the worker) and the thread count.
   * @param {string} task sentiment-analysis | fill-mask | ner | question-answering | feature-extraction
   * @param {string} source
   * @param {any} input text, {question, context}, or texts (feature-extraction)
   * @param {Record<string, any>} [options]
   */
  async run(task, source, input, options = {}) {
    const model = await this.load(source);
    const pipe = await this.pipelineFor(task, source);
    const t0 = performance.now();
    const args = task === 'question-answering' ? [input.question, input.context]
      : task === 'zero-shot-classification' ? [input.text, input.labels] : [input];
    const raw = await pipe(...args, { ...options, output_attentions: true });
    const latencyMs = performance.now() - t0;
    const out = await this.#fromPipeline(task, model, input, raw);
    const { threads, variant, crossOriginIsolated } = model.runtime;
    const texts = out.texts ?? (typeof input === 'string' ? [input] : Array.isArray(input) ? [input[0]] : [input.question, input.context]);
    const attention = out.encoding && out.attentions
      ? attentionOf(out.attentions, out.encoding, { model: source, texts, row: out.row ?? 0 }) : null;
    if (attention && out.windows > 1) Object.assign(attention, { window: out.row, windows: out.windows });
    // A batch (embeddings): the attention of every input, from the same pass.
    const attentions = out.batch && out.attentions
      ? out.batch.map((/** @type {any} */ enc, /** @type {number} */ row) => attentionOf(out.attentions, enc, { model: source, texts: [input[row]], row }))
      : attention ? [attention] : [];
    return { result: out.result, attention, attentions, latencyMs, threads, variant, crossOriginIsolated, model: source, info: model.info };
  }

  /**
   * Explains `task`'s prediction on `input` with model `source` (the pipeline's `explain`, in the
   * worker); returns the explanation (words and tokens with signed attributions, the prediction,
   * for integrated gradients delta and completeness_gap), the latency and the thread count.
   * @param {string} task sentiment-analysis | ner | question-answering
   * @param {string} source
   * @param {any} input text, or {question, context}
   * @param {Record<string, any>} [options] method, steps, samples, target, token, ...
   */
  async explain(task, source, input, options = {}) {
    const model = await this.load(source);
    const pipe = await this.pipelineFor(task, source);
    const t0 = performance.now();
    const explanation = await pipe.invoke('explain', input, options);
    const latencyMs = performance.now() - t0;
    const { threads, variant } = model.runtime;
    return { explanation, latencyMs, threads, variant, model: source };
  }

  /**
   * Splits a pipeline's answer into its result and attention (+ the encoding the attention is for).
   * @param {string} task @param {any} model @param {any} input @param {any} raw
   */
  async #fromPipeline(task, model, input, raw) {
    // Pipelines add `attentions` to their result (an array or an object) when asked.
    const attentions = raw?.attentions ?? null;
    let result = raw;
    if (Array.isArray(raw)) result = [...raw];
    else if (raw && typeof raw === 'object' && 'attentions' in raw) {
      const { attentions: _, hidden_states: __, ...rest } = raw;
      result = rest;
    }
    const first = Array.isArray(input) ? input[0] : input;
    if (task === 'zero-shot-classification') {
      // The attention shown is the pair of the best label: (text, its hypothesis), one row per label.
      const label = result.labels[0];
      const hypothesis = (input.hypothesis_template ?? 'This example is {}.').replaceAll('{}', label);
      const encoding = await model.tokenize(input.text, hypothesis, {});
      return { result, attentions, encoding, row: input.labels.indexOf(label), texts: [input.text, hypothesis] };
    }
    if (task === 'question-answering') {
      // The pipeline's windows (Hugging Face defaults); the attention shown is the answer's window.
      const max_length = Math.min(model.maxLength, 384);
      const windows = await model.tokenizeWindows(first.question, first.context, { max_length, stride: Math.min(Math.floor(max_length / 2), 128) });
      const best = Array.isArray(result) ? result[0] : result;
      const row = Math.max(0, windows.findIndex((/** @type {any} */ w) => covers(w, best)));
      return { result, attentions, encoding: windows[row], row, windows: windows.length };
    }
    if (Array.isArray(input) && input.length > 1) {
      const batch = [];
      for (const text of input) batch.push(await model.tokenize(text, null, { truncation: true }));
      return { result, attentions, encoding: batch[0], batch };
    }
    const encoding = await model.tokenize(first, null, { truncation: true });
    return { result, attentions, encoding };
  }

  terminate() { this.client.terminate(); }
}
