// GLUE SST-2: accuracy of a sequence-classification model on `sentence<TAB>label` rows.

import { argmax, row, softmax } from '../tensor.js';

/** @typedef {{sentence: string, label: number}} Sst2Row */
/** @typedef {{index: number, label: string, score: number}} Sst2Prediction */

/**
 * Parses a GLUE SST-2 TSV (header `sentence<TAB>label`).
 * @param {string} text
 * @returns {Sst2Row[]}
 */
export function parseSst2(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines.shift() ?? '').split('\t');
  const si = header.indexOf('sentence');
  const li = header.indexOf('label');
  if (si < 0 || li < 0) throw new Error(`SST-2 TSV: header must name "sentence" and "label", got "${header.join('\\t')}"`);
  return lines.map((line, n) => {
    const cols = line.split('\t');
    const label = Number(cols[li]);
    if (!Number.isInteger(label)) throw new Error(`SST-2 TSV line ${n + 2}: label "${cols[li]}" is not an integer`);
    return { sentence: cols[si], label };
  });
}

/**
 * Classifies every row (batched by length) and scores argmax against the gold label id.
 * @param {import('../model.js').BertologyModel} model
 * @param {Sst2Row[]} rows
 * @param {{batch_size?: number}} [options]
 * @returns {{accuracy: number, correct: number, total: number, predictions: Sst2Prediction[]}}
 */
export function evaluateSst2(model, rows, { batch_size = 32 } = {}) {
  const { id2label } = model.info;
  const encodings = rows.map((r) => model.tokenize(r.sentence, null, { truncation: true }));
  const order = encodings.map((_, i) => i).sort((a, b) => encodings[a].ids.length - encodings[b].ids.length);
  /** @type {Sst2Prediction[]} */
  const predictions = new Array(rows.length);
  let correct = 0;
  for (let start = 0; start < order.length; start += batch_size) {
    const idx = order.slice(start, start + batch_size);
    const { logits } = model.forwardEncodings(idx.map((i) => encodings[i]), { output_last_hidden_state: false });
    if (!logits) throw new Error('SST-2: the model returned no logits (is it a sequence classifier?)');
    idx.forEach((i, b) => {
      const x = row(logits, b).data;
      const best = argmax(x);
      const score = softmax(x)[best];
      predictions[i] = { index: i, label: id2label?.[String(best)] ?? `LABEL_${best}`, score };
      if (best === rows[i].label) correct++;
    });
  }
  return { accuracy: rows.length ? correct / rows.length : 0, correct, total: rows.length, predictions };
}
