// zero-shot-classification: Hugging Face's ZeroShotClassificationPipeline over an NLI model. Each
// candidate label becomes a hypothesis (hypothesis_template with the label in place of {}); every
// (text, hypothesis) pair is classified; the entailment logits are softmaxed over the labels
// (single-label) or each label's [contradiction, entailment] pair is softmaxed on its own (multi_label,
// or one label). All pairs of a call run `batch_size` at a time — never one model call per label —
// and only two logits per pair are kept, so thousands of labels run in bounded memory. A call's
// texts × labels are bounded by limits.max_pairs (or the call option max_pairs) before any work;
// between batches it reports progress ({unit: 'pairs'}) and yields to the event loop, like every
// long call (CallProgress).

import { BertologyError, check } from '../errors.js';
import { limitError } from '../limits.js';
import { CallProgress, describe, Pipeline, withExtras } from './common.js';
import { truncateFirst, withMetadata } from './long-text.js';

/**
 * @typedef {object} ZeroShotOutput
 * @property {string} sequence the input text
 * @property {string[]} labels the candidate labels, most likely first
 * @property {number[]} scores their scores, in the same order
 */

/**
 * @typedef {object} ZeroShotOptions
 * @property {string | string[]} [candidate_labels] the labels (an array, or one comma-separated string)
 * @property {string} [hypothesis_template] default "This example is {}."
 * @property {boolean} [multi_label] labels are independent (default false: scores sum to 1)
 * @property {boolean} [return_metadata] make each result's {tokens, max_length, truncated} enumerable
 * @property {number} [max_pairs] this call's bound on texts × labels (default: the model's limits.max_pairs)
 */

const DEFAULT_TEMPLATE = 'This example is {}.';

/**
 * The entailment label's id as Hugging Face finds it: the first label of config.json's label2id
 * (or of id2label when there is no label2id) whose lower-cased name starts with "entail"; -1 if none.
 * @param {Record<string, any>} config config.json
 * @param {Record<string, string>} id2label
 */
export function entailmentId(config, id2label) {
  const label2id = config?.label2id && typeof config.label2id === 'object' ? Object.entries(config.label2id)
    : Object.entries(id2label ?? {}).sort(([a], [b]) => Number(a) - Number(b)).map(([id, label]) => [label, Number(id)]);
  for (const [label, id] of label2id) if (String(label).toLowerCase().startsWith('entail')) return Number(id);
  return -1;
}

/**
 * Hugging Face's candidate label parsing: a string is split on commas (trimmed, empty parts dropped).
 * @param {any} labels
 * @returns {string[]}
 */
export function parseLabels(labels) {
  if (typeof labels === 'string') return labels.split(',').map((l) => l.trim()).filter(Boolean);
  return labels;
}

/**
 * The hypothesis of a label: Python's str.format with one positional field — each "{}" (or "{0}")
 * becomes the label, "{{" and "}}" become braces.
 * @param {string} template
 * @param {string} label
 */
export function formatHypothesis(template, label) {
  return template.replace(/\{\{|\}\}|\{0?\}/g, (m) => (m === '{{' ? '{' : m === '}}' ? '}' : label));
}

export class ZeroShotClassificationPipeline extends Pipeline {
  static OPTIONS = ['candidate_labels', 'hypothesis_template', 'multi_label', 'return_metadata', 'max_pairs'];

  /**
   * limits.max_texts bounds the texts only; the labels are bounded with them by limits.max_pairs.
   * @param {any[]} args
   */
  inputCounts(args) {
    return Array.isArray(args[0]) ? [args[0].length] : [];
  }

  /**
   * `classifier(texts, candidate_labels, options?)` or `classifier(texts, {candidate_labels, ...})`.
   * @param {string | string[]} texts
   * @param {string | string[] | ZeroShotOptions} [labelsOrOptions]
   * @param {ZeroShotOptions & import('./common.js').OutputOptions} [maybeOptions]
   */
  async _call(texts, labelsOrOptions, maybeOptions) {
    const positional = typeof labelsOrOptions === 'string' || Array.isArray(labelsOrOptions);
    const opts = this.options(positional ? { ...(maybeOptions ?? {}), candidate_labels: labelsOrOptions } : labelsOrOptions);
    const { hypothesis_template: template = DEFAULT_TEMPLATE, multi_label: multiLabel = false, batch_size = 32 } = opts;
    const single = typeof texts === 'string';
    const sequences = single ? [texts] : texts;
    check(Array.isArray(sequences) && sequences.every((t) => typeof t === 'string'),
      `${this.task}: expected a text or an array of texts, got ${describe(texts)}`);
    check(sequences.length > 0, `${this.task}: you must include at least one sequence (an empty array of texts)`);
    const labels = parseLabels(opts.candidate_labels);
    check(Array.isArray(labels) && labels.every((l) => typeof l === 'string'),
      `${this.task}: candidate_labels must be an array of strings or one comma-separated string, got ${describe(opts.candidate_labels)}`);
    check(labels.length > 0, `${this.task}: you must include at least one label (candidate_labels is empty)`);
    check(typeof template === 'string' && template.length > 0, `${this.task}: hypothesis_template must be a non-empty string`);
    check(formatHypothesis(template, labels[0]) !== template, `${this.task}: the hypothesis_template "${template}" has no {} `
      + 'where the label goes (e.g. "This example is {}.")');
    check(typeof multiLabel === 'boolean', `${this.task}: multi_label must be true or false`);
    const maxPairs = opts.max_pairs ?? this.model.limits.max_pairs;
    check(Number.isSafeInteger(maxPairs) && maxPairs > 0, `${this.task}: max_pairs must be a positive integer`);
    const total = sequences.length * labels.length;
    if (total > maxPairs) {
      throw limitError(this.task, `${sequences.length} text${sequences.length === 1 ? '' : 's'} × ${labels.length} `
        + `label${labels.length === 1 ? '' : 's'} = ${total} pairs`, 'max_pairs', total, maxPairs,
      `or the call option {max_pairs: ${total}}, or split the texts or labels over several calls`);
    }
    this.requireTokenizer();
    const entail = this.entailmentId();
    const numLabels = this.model.info.num_labels;
    const contra = entail === 0 ? numLabels - 1 : 0;
    const hypotheses = labels.map((l) => formatHypothesis(template, l));
    const maxLength = this.model.maxLength;

    // Sequences ordered by length so that each batch of pairs pads little; pairs streamed batch by batch.
    const lengths = sequences.map((s) => this.model.tokenize(s, null, {}).ids.length);
    const order = sequences.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
    const entailLogits = sequences.map(() => new Float64Array(labels.length));
    const contraLogits = sequences.map(() => new Float64Array(labels.length));
    const truncated = sequences.map(() => false);
    const wantExtras = Boolean(opts.output_attentions || opts.output_hidden_states);
    const step = wantExtras ? total : batch_size;
    /** @type {import('./common.js').Extras} */
    let extras = {};
    const progress = new CallProgress(opts.progress_callback, this.task, 'pairs', total);
    for (let start = 0; start < total; start += step) {
      const pairs = [];
      for (let k = start; k < Math.min(total, start + step); k++) {
        const s = wantExtras ? Math.floor(k / labels.length) : order[Math.floor(k / labels.length)];
        pairs.push({ s, l: k % labels.length });
      }
      const encodings = pairs.map(({ s, l }) => {
        const full = this.model.tokenize(sequences[s], hypotheses[l], {});
        const e = truncateFirst(full, maxLength);
        if (!e) {
          throw new BertologyError(`${this.task}: the hypothesis "${hypotheses[l]}" alone is longer than the model's ${maxLength} tokens`,
            { code: 'INVALID_ARGUMENT' });
        }
        if (e !== full) truncated[s] = true;
        return e;
      });
      if (this.model.weightsPending > 0) await this.model.ensureWeights(encodings.map((e) => e.ids));
      const out = this.model.forwardEncodings(encodings,
        { output_attentions: opts.output_attentions, output_hidden_states: opts.output_hidden_states, output_last_hidden_state: false });
      const { logits } = out;
      if (!logits) throw new BertologyError(`${this.task}: the engine returned no logits`);
      const width = logits.dims[1];
      pairs.forEach(({ s, l }, b) => {
        entailLogits[s][l] = logits.data[b * width + entail];
        contraLogits[s][l] = logits.data[b * width + contra];
      });
      if (wantExtras) extras = { ...(opts.output_attentions ? { attentions: out.attentions } : {}),
        ...(opts.output_hidden_states ? { hidden_states: out.hidden_states } : {}) };
      await progress.tick(pairs.length);
    }

    const results = sequences.map((sequence, s) => {
      const scores = multiLabel || labels.length === 1
        ? Array.from(entailLogits[s], (e, l) => { const c = contraLogits[s][l]; const m = Math.max(e, c); return Math.exp(e - m) / (Math.exp(e - m) + Math.exp(c - m)); })
        : softmax(entailLogits[s]);
      const ranked = labels.map((_, l) => l).sort((a, b) => scores[b] - scores[a] || a - b);
      const r = { sequence, labels: ranked.map((l) => labels[l]), scores: ranked.map((l) => scores[l]) };
      return withMetadata(r, { tokens: lengths[s], max_length: maxLength, truncated: truncated[s] }, opts.return_metadata === true);
    });
    return withExtras(single ? results[0] : results, extras);
  }

  /** The entailment label's id; throws when the model's labels have none. */
  entailmentId() {
    const { id2label, num_labels: n, head } = this.model.info;
    const id = entailmentId(this.model.config, id2label);
    if (id < 0 || id >= n) {
      throw new BertologyError(`${this.task}: this ${head.replace(/_/g, '-')} model's labels (${Object.values(id2label ?? {}).join(', ')}) `
        + 'have no entailment label (a label starting with "entail", as Hugging Face looks for it in label2id); use a model '
        + 'fine-tuned on NLI (MNLI, XNLI, ...)', { code: 'INVALID_ARGUMENT' });
    }
    check(n >= 2, `${this.task}: an NLI model needs at least two labels (entailment and contradiction)`);
    return id;
  }
}

/** @param {Float64Array} x */
function softmax(x) {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  const e = Array.from(x, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
