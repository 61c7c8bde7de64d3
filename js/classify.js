// Sequence classification: scores per label for texts (or text pairs), batched by length.

import { check } from './errors.js';
import { checkTextCount } from './limits.js';
import { row, sigmoid, softmax } from './tensor.js';

/**
 * @typedef {object} ClassifyOptions
 * @property {string | string[] | null} [pairs] second texts, one per text
 * @property {number | null} [top_k] keep the best k labels; default all
 * @property {number} [batch_size] texts per forward pass (default 32)
 * @property {'softmax' | 'sigmoid' | 'none'} [function_to_apply] default: sigmoid for multi-label
 *   (or single-logit) models, softmax otherwise
 */

/** @typedef {{label: string, score: number}} LabelScore */

/**
 * @param {import('./model.js').BertologyModel} model
 * @param {string | string[]} texts
 * @param {ClassifyOptions} [options]
 * @returns {LabelScore[] | LabelScore[][]}
 */
export function classify(model, texts, { pairs = null, top_k = null, batch_size = 32, function_to_apply } = {}) {
  const { head, id2label, problem_type: problemType, num_labels: numLabels } = model.info;
  check(head === 'sequence_classification', `classify: the model's head is "${head}", not sequence_classification`);
  const single = typeof texts === 'string';
  const list = single ? [texts] : texts;
  const seconds = pairs == null ? null : typeof pairs === 'string' ? [pairs] : pairs;
  check(!seconds || seconds.length === list.length, `classify: ${list.length} texts but ${seconds?.length} pairs`);
  const fn = function_to_apply
    ?? (problemType === 'multi_label_classification' || numLabels === 1 ? 'sigmoid' : 'softmax');

  checkTextCount(list.length, model.limits, 'classify');
  const encodings = list.map((t, i) => model.tokenize(t, seconds ? seconds[i] : null, { truncation: true }));
  // Sorting by length makes each padded batch nearly rectangular; results go back in input order.
  const order = encodings.map((_, i) => i).sort((a, b) => encodings[a].ids.length - encodings[b].ids.length);
  /** @type {LabelScore[][]} */
  const results = new Array(list.length);
  for (let start = 0; start < order.length; start += batch_size) {
    const idx = order.slice(start, start + batch_size);
    const { logits } = model.forwardEncodings(idx.map((i) => encodings[i]), { output_last_hidden_state: false });
    if (!logits) throw new Error('classify: the engine returned no logits');
    idx.forEach((i, b) => {
      const x = row(logits, b).data;
      const scores = fn === 'softmax' ? softmax(x) : fn === 'sigmoid' ? sigmoid(x) : Array.from(x);
      const labeled = scores.map((score, k) => ({ label: id2label?.[String(k)] ?? `LABEL_${k}`, score }));
      labeled.sort((p, q) => q.score - p.score);
      results[i] = top_k == null ? labeled : labeled.slice(0, top_k);
    });
  }
  return single ? results[0] : results;
}
